import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import type { MachineInfo } from './BenchReport.js';

/** Reads the machine's details for a report; the PyTorch and TF.js versions come from the run. */
export function collectMachineInfo(
  torch: { version: string; defaultThreads: number } | null,
  tfjs: string | null,
): MachineInfo {
  const processors = cpus();
  return {
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${arch()} ${release()}`,
    node: process.version,
    v8: process.versions.v8,
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
    torch: torch?.version ?? null,
    torchDefaultThreads: torch?.defaultThreads ?? null,
    tfjs,
    vulkanIcd: process.env.VK_ICD_FILENAMES ?? null,
  };
}

/** One line describing the machine, for tables and the README. */
export function describeMachine(machine: MachineInfo): string {
  const torch = machine.torch === null ? 'no PyTorch' : `PyTorch ${machine.torch}`;
  return `${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, ${torch}`;
}
