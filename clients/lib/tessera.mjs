// Shared helpers for the real-client tests. No client library is imported here
// so that each test file shows exactly which client it exercises.
//
// Environment:
//   TESSERA_URL       required, the instance root, e.g. http://127.0.0.1:8080/arcgis
//   TESSERA_USER      optional, with TESSERA_PASSWORD enables the token tests
//   TESSERA_PASSWORD  optional
//   TESSERA_COLLECTION optional, collection the job tests delete from (default Demo)
//   TESSERA_CANCEL_PARAMS optional JSON object merged into the submit params of
//                     the cancel test (use it if the server needs a hint to keep
//                     a job running long enough to be cancelled)

export const rawUrl = process.env.TESSERA_URL ?? "";
export const rootUrl = rawUrl.replace(/\/+$/, "");
export const user = process.env.TESSERA_USER ?? "";
export const password = process.env.TESSERA_PASSWORD ?? "";
export const hasCreds = user !== "" && password !== "";
export const collection = process.env.TESSERA_COLLECTION || "Demo";

export const gpRoot = `${rootUrl}/rest/services/System/RasterAnalysisTools/GPServer`;
export const taskUrl = (task) => `${gpRoot}/${task}`;
export const imageServerUrl = (name = collection) =>
  `${rootUrl}/rest/services/${name}/ImageServer`;

export function cancelExtraParams() {
  const raw = process.env.TESSERA_CANCEL_PARAMS;
  if (!raw) return {};
  try {
    const v = JSON.parse(raw);
    if (v && typeof v === "object" && !Array.isArray(v)) return v;
  } catch {
    /* fall through */
  }
  throw new Error(`TESSERA_CANCEL_PARAMS must be a JSON object, got: ${raw}`);
}

let preflightPromise;

// preflight checks that TESSERA_URL is set and that something at
// <TESSERA_URL>/rest/info answers with JSON. It runs once per process.
export function preflight() {
  preflightPromise ??= (async () => {
    if (!rootUrl) {
      throw new Error(
        "TESSERA_URL is not set. Start tessera and run e.g.\n" +
          "  TESSERA_URL=http://127.0.0.1:8080/arcgis node --test --test-concurrency=1",
      );
    }
    if (!/^https?:\/\/[^/]+\/.+/.test(rootUrl)) {
      throw new Error(
        `TESSERA_URL must be the instance root with a path, like http://127.0.0.1:8080/arcgis (got ${rawUrl})`,
      );
    }
    const infoUrl = `${rootUrl}/rest/info?f=json`;
    let res;
    try {
      res = await fetch(infoUrl, { signal: AbortSignal.timeout(10_000) });
    } catch (e) {
      throw new Error(
        `cannot reach ${infoUrl}: ${e.cause?.code ?? e.message}. Is tessera running at TESSERA_URL?`,
      );
    }
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(
        `${infoUrl} answered HTTP ${res.status} with non-JSON: ${text.slice(0, 200)}`,
      );
    }
    if (typeof body.currentVersion !== "number") {
      throw new Error(
        `${infoUrl} must carry a numeric currentVersion; got ${JSON.stringify(body).slice(0, 300)}`,
      );
    }
    return body;
  })();
  return preflightPromise;
}

// describeError renders whatever a client threw so a failing assertion says
// what actually came back.
export function describeError(e) {
  if (e === undefined || e === null) return String(e);
  const parts = [];
  if (e.name) parts.push(`name=${e.name}`);
  if (e.code !== undefined) parts.push(`code=${JSON.stringify(e.code)}`);
  if (e.message) parts.push(`message=${JSON.stringify(e.message)}`);
  if (e.jobStatus) parts.push(`jobStatus=${e.jobStatus}`);
  if (e.details?.httpStatus !== undefined)
    parts.push(`details.httpStatus=${e.details.httpStatus}`);
  if (e.response !== undefined && !(e.response instanceof Object && "ok" in e.response))
    parts.push(`response=${JSON.stringify(e.response).slice(0, 400)}`);
  if (e.messages) parts.push(`messages=${JSON.stringify(e.messages).slice(0, 400)}`);
  return parts.length ? parts.join(" ") : String(e);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
