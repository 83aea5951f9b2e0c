// `@mlml/conformance/browser`: the Node-side helpers of the browser runs (Node only).
export { buildPage, PAGE_CONDITIONS, PAGE_SOURCE_DIR } from './buildPage.js';
export { CHROMIUM_ARGS, DEFAULT_CHROMIUM, launchChromium } from './launchChromium.js';
export { type FixtureFile, type OpenedPage, PAGE_TITLES, type PageKind, PageSession } from './PageSession.js';
export type { PageApi, PageBackendOutcome, PageEnvironment, PageFixture } from './protocol.js';
export { ISOLATION_HEADERS, type ServeOptions, type StaticServer, serveDirectory } from './serveDirectory.js';
