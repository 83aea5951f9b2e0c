import type { ConformanceReport } from '../runConformance.js';

/** One golden file as the page receives it: its raw JSON text and the name reports give it. */
export interface PageFixture {
  /** The file's name in reports (as in the Node run). */
  readonly source: string;
  /** The path the page fetches it from, on the server that serves the page. */
  readonly url: string;
}

/** What the Node side asks the page to run with `mlmlConformance.matrix(...)`. */
export interface PageMatrixRequest {
  /** Backend names, or `all` (every backend the page registers). */
  readonly backends: 'all' | readonly string[];
  /** The golden files. */
  readonly fixtures: readonly PageFixture[];
}

/** What the Node side asks the page to compute with `mlmlConformance.results(...)`. */
export interface PageResultsRequest {
  /** The one backend to compute on. */
  readonly backend: string;
  /** The golden files. */
  readonly fixtures: readonly PageFixture[];
}

/** One backend's outcome in the page (plain data: it crosses from the page to Node). */
export interface PageBackendOutcome {
  /** The backend's registered name. */
  readonly name: string;
  /** Its report, when it initialised. */
  readonly report?: ConformanceReport;
  /** Why it could not be created, when it did not initialise. */
  readonly unavailable?: string;
  /** Its declared capabilities' notes and thread count, for the run's header. */
  readonly threads?: number;
}

/** What the page says about itself before running. */
export interface PageEnvironment {
  /** `globalThis.crossOriginIsolated`. */
  readonly crossOriginIsolated: boolean;
  /** The browser's user agent. */
  readonly userAgent: string;
  /** The backends `@mlml/loss` registered in the page, highest priority first. */
  readonly registered: readonly string[];
}

/** The API the page puts on `globalThis.mlmlConformance`. */
export interface PageApi {
  /** The page's environment. */
  environment(): PageEnvironment;
  /** The suite on each requested backend; unknown names are reported unavailable. */
  matrix(request: PageMatrixRequest): Promise<readonly PageBackendOutcome[]>;
  /** `mlml-results-v1` JSON text, or the reason the backend did not initialise. */
  results(request: PageResultsRequest): Promise<{ readonly json?: string; readonly unavailable?: string }>;
}

/** The global under which the page exposes {@link PageApi}. */
export const PAGE_API_GLOBAL = 'mlmlConformance';

/** The console prefix of the page's progress lines, which the Node side prints. */
export const PROGRESS_PREFIX = 'mlml-progress: ';
