import { ELEMENTS_WGSL, FINISH_WGSL, OUTPUT_WGSL, PREP_WGSL, type TargetPath } from './shaders.js';

/** What a call computes: the loss, the gradient, or both in one pass. */
export type Mode = 'forward' | 'backward' | 'fused';

/** The three passes of one mode and target path. */
export interface PassPipelines {
  /** Pass 1: a thread per row. */
  readonly prep: GPUComputePipeline;
  /** Pass 2: a thread per (row, segment), compiled for one target path. */
  readonly elements: GPUComputePipeline;
  /** Pass 3: a thread per row. */
  readonly finish: GPUComputePipeline;
}

/** The pipelines that turn row sums into the loss on the GPU (`outputLocation: 'gpu-buffer'`). */
export interface OutputPipelines {
  /** `none`: a thread per row. */
  readonly perRow: GPUComputePipeline;
  /** `sum`/`mean`: one workgroup. */
  readonly total: GPUComputePipeline;
}

const COMPUTE_STAGE = 0x4;
const FLAGS: Readonly<Record<Mode, { readonly WITH_LOSS: number; readonly WITH_GRAD: number }>> = {
  forward: { WITH_LOSS: 1, WITH_GRAD: 0 },
  backward: { WITH_LOSS: 0, WITH_GRAD: 1 },
  fused: { WITH_LOSS: 1, WITH_GRAD: 1 },
};

/**
 * The loss pipelines of a device, compiled per mode and target path on first use (a pipeline costs
 * seconds to compile on SwiftShader; a backend that only ever runs `forward` on rows of few targets
 * never compiles the others), then reused.
 */
export class LossPipelines {
  /** The bind group layout every pass shares. */
  readonly layout: GPUBindGroupLayout;
  readonly #device: GPUDevice;
  readonly #pipelineLayout: GPUPipelineLayout;
  readonly #modules: Readonly<Record<keyof PassPipelines, GPUShaderModule>>;
  readonly #compiling = new Map<string, Promise<GPUComputePipeline>>();
  readonly #ready = new Map<string, PassPipelines>();
  #compiled = 0;
  #output: Promise<OutputPipelines> | undefined;
  #outputReady = false;

  constructor(device: GPUDevice) {
    this.#device = device;
    const storage = (binding: number, type: GPUBufferBindingType): GPUBindGroupLayoutEntry => ({
      binding,
      visibility: COMPUTE_STAGE,
      buffer: { type },
    });
    this.layout = device.createBindGroupLayout({
      entries: [
        { binding: 0, visibility: COMPUTE_STAGE, buffer: { type: 'uniform' } },
        storage(1, 'read-only-storage'),
        storage(2, 'read-only-storage'),
        storage(3, 'storage'),
        storage(4, 'storage'),
        storage(5, 'storage'),
        storage(6, 'read-only-storage'),
        storage(7, 'storage'),
        storage(8, 'storage'),
      ],
    });
    this.#pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [this.layout] });
    this.#modules = {
      prep: device.createShaderModule({ code: PREP_WGSL, label: 'mlml prep pass' }),
      elements: device.createShaderModule({ code: ELEMENTS_WGSL, label: 'mlml element pass' }),
      finish: device.createShaderModule({ code: FINISH_WGSL, label: 'mlml finish pass' }),
    };
  }

  /** The pipelines of a mode, path and range check if compiled already (no wait). */
  ready(mode: Mode, path: TargetPath, checkRange: boolean): PassPipelines | undefined {
    return this.#ready.get(`${mode}:${path}:${checkRange}`);
  }

  /**
   * The pipelines of a mode and target path, with the element pass checking every target's range
   * (`checkRange`, targets not validated on the host) or not; each pipeline compiled once.
   */
  async compile(mode: Mode, path: TargetPath, checkRange: boolean): Promise<PassPipelines> {
    const [prep, elements, finish] = await Promise.all([
      this.#pipeline('prep', mode),
      this.#pipeline('elements', mode, { TARGET_PATH: path, CHECK_RANGE: checkRange ? 1 : 0 }),
      this.#pipeline('finish', mode),
    ]);
    const pipelines = { prep, elements, finish };
    this.#ready.set(`${mode}:${path}:${checkRange}`, pipelines);
    return pipelines;
  }

  #pipeline(
    name: keyof PassPipelines,
    mode: Mode,
    overrides: Readonly<Record<string, number>> = {},
  ): Promise<GPUComputePipeline> {
    const key = `${name}:${mode}:${JSON.stringify(overrides)}`;
    let compiling = this.#compiling.get(key);
    if (compiling === undefined) {
      const constants: Record<string, number> = { ...FLAGS[mode], ...overrides };
      compiling = this.#device
        .createComputePipelineAsync({
          layout: this.#pipelineLayout,
          compute: { module: this.#modules[name], entryPoint: 'main', constants },
        })
        .then((pipeline) => {
          this.#compiled++;
          return pipeline;
        });
      // A failed compile may be retried by a later call.
      compiling.catch(() => this.#compiling.delete(key));
      this.#compiling.set(key, compiling);
    }
    return compiling;
  }

  /** The output pipelines, compiled on the first call that returns a loss on the GPU. */
  output(): Promise<OutputPipelines> {
    if (this.#output === undefined) {
      const module = this.#device.createShaderModule({ code: OUTPUT_WGSL, label: 'mlml output pass' });
      const entry = (entryPoint: string) =>
        this.#device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint } });
      const compiling = Promise.all([entry('perRow'), entry('total')]).then(([perRow, total]) => {
        this.#outputReady = true;
        return { perRow, total };
      });
      compiling.catch(() => {
        this.#output = undefined;
      });
      this.#output = compiling;
    }
    return this.#output;
  }

  /** Compiled pipelines (per mode used so far: prep, finish and an element pass per path; 2 for the GPU output). */
  get count(): number {
    return this.#compiled + (this.#outputReady ? 2 : 0);
  }
}
