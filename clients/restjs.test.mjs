// Contract tests: @esri/arcgis-rest-request 4.10.2 (ArcGIS REST JS) against a
// running tessera. See NOTES.md §1 for what each call sends.
//
//   TESSERA_URL=http://127.0.0.1:8080/arcgis [TESSERA_USER=.. TESSERA_PASSWORD=..] \
//     node --test --test-concurrency=1 restjs.test.mjs
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import {
  ArcGISIdentityManager,
  ApiKeyManager,
  Job,
  JOB_STATUSES,
  request,
} from "@esri/arcgis-rest-request";
import {
  cancelExtraParams,
  collection,
  describeError,
  hasCreds,
  imageServerUrl,
  password,
  preflight,
  rootUrl,
  sleep,
  taskUrl,
  user,
} from "./lib/tessera.mjs";

const T = { timeout: 90_000 };
const HOUR = 3600_000;

// auth is what the plain (non-security) tests pass as `authentication`:
// undefined without credentials, else a server-scoped manager holding a token
// generated once in before().
let auth;
let generated; // { token, expires: Date }

function hint(e) {
  const d = describeError(e);
  if (e?.code === 499 || e?.code === 498)
    return `${d}\n  -> tessera requires a token here; set TESSERA_USER and TESSERA_PASSWORD`;
  return d;
}

// generateServerToken is the REST JS way to get a token from a standalone
// (non-portal) ArcGIS Server: a manager built with `server` whose
// refreshCredentials() reads <server>/rest/info -> authInfo.tokenServicesUrl
// and POSTs username/password/client=referer/referer/expiration there.
async function generateServerToken() {
  const mgr = new ArcGISIdentityManager({ username: user, password, server: rootUrl });
  await mgr.refreshCredentials();
  return { token: mgr.token, expires: mgr.tokenExpires };
}

// serverManager wraps an existing token the way REST JS caches server tokens:
// the constructor stores {token, expires} for the server root, so requests
// under <root>/rest/services/... send it as `token` without extra round trips.
function serverManager(token, expires, extra = {}) {
  return new ArcGISIdentityManager({ server: rootUrl, token, tokenExpires: expires, ...extra });
}

function deleteImageParams(where) {
  return {
    imageCollection: JSON.stringify({ url: imageServerUrl() }),
    where,
  };
}

async function countWhere(where, authentication = auth) {
  const r = await request(`${imageServerUrl()}/query`, {
    params: { where, returnCountOnly: true },
    authentication,
  });
  assert.ok(
    Number.isInteger(r?.count) && r.count >= 0,
    `query?returnCountOnly=true must answer {"count": <int>}, got ${JSON.stringify(r)}`,
  );
  return r.count;
}

async function runDeleteImage(authentication, where = "CloudCover > 50") {
  let job;
  try {
    job = await Job.submitJob({
      url: taskUrl("DeleteImage"),
      params: deleteImageParams(where),
      authentication,
    });
  } catch (e) {
    assert.fail(`DeleteImage submitJob failed: ${hint(e)}`);
  }
  assert.ok(typeof job.id === "string" && job.id.length > 0, "submitJob must answer {jobId}");
  let info;
  try {
    info = await job.waitForCompletion();
  } catch (e) {
    assert.fail(`DeleteImage job did not succeed: ${hint(e)} jobInfo=${JSON.stringify(e.jobInfo)}`);
  }
  assert.equal(info.status, JOB_STATUSES.Success);
  assert.equal(
    typeof info.results?.result?.paramUrl,
    "string",
    `a succeeded job must list results.result.paramUrl; job JSON was ${JSON.stringify(info)}`,
  );
  const res = await job.getResult("result");
  assert.ok(
    typeof res?.value?.url === "string" && res.value.url.endsWith(`/${collection}/ImageServer`),
    `results/result must carry value.url ending in /${collection}/ImageServer, got ${JSON.stringify(res)}`,
  );
  return { job, info, res };
}

describe("ArcGIS REST JS 4.10.2", () => {
  before(async () => {
    await preflight();
    if (hasCreds) {
      generated = await generateServerToken();
      auth = serverManager(generated.token, generated.expires);
    }
  });

  it("counts items with request(<ImageServer>/query, {where:'1=1', returnCountOnly:true})", T, async () => {
    try {
      await countWhere("1=1");
    } catch (e) {
      if (e?.code === "ERR_ASSERTION") throw e;
      assert.fail(`count query failed: ${hint(e)}`);
    }
  });

  it("runs DeleteImage on the collection: submitJob -> waitForCompletion -> getResult('result')", T, async () => {
    await runDeleteImage(auth);
    const left = await countWhere("CloudCover > 50");
    assert.equal(left, 0, "after DeleteImage(CloudCover > 50) no such item may remain");
  });

  it("rejects a bad where at submitJob with ArcGISRequestError code 400", T, async () => {
    await assert.rejects(
      Job.submitJob({
        url: taskUrl("DeleteImage"),
        params: deleteImageParams("CloudCovr > 5"),
        authentication: auth,
      }),
      (e) => {
        assert.equal(e?.name, "ArcGISRequestError", `expected ArcGISRequestError, got ${hint(e)}`);
        if (typeof e.code === "string" && e.code.startsWith("HTTP ")) {
          assert.fail(
            `got code ${JSON.stringify(e.code)}: tessera answered with a non-200 HTTP status. ` +
              "REST JS 4.10.2 only surfaces the body's numeric error.code when the HTTP status is 200 " +
              "(request.js, !response.ok branch). Send {error:{code:400,...}} with HTTP 200.",
          );
        }
        assert.equal(e.code, 400, `expected error.code 400, got ${hint(e)}`);
        return true;
      },
    );
  });

  it("cancelJob drives a job to esriJobCancelled", T, async () => {
    const job = await Job.submitJob({
      url: taskUrl("DeleteImage"),
      params: { ...deleteImageParams("1=0"), ...cancelExtraParams() },
      authentication: auth,
    });
    let cancelResponse;
    try {
      cancelResponse = await job.cancelJob();
    } catch (e) {
      assert.fail(
        `cancelJob (POST jobs/<id>/cancel id=..&returnMessages=false) failed: ${hint(e)}. ` +
          "If the job had already finished, make tessera keep it in esriJobSubmitted/Executing longer " +
          "or set TESSERA_CANCEL_PARAMS.",
      );
    }
    assert.ok(cancelResponse && !cancelResponse.error, "cancel must answer a job-info object");
    const open = new Set([
      JOB_STATUSES.New,
      JOB_STATUSES.Submitted,
      JOB_STATUSES.Waiting,
      JOB_STATUSES.Executing,
      JOB_STATUSES.Cancelling,
    ]);
    const deadline = Date.now() + 30_000;
    let info = await job.getJobInfo();
    while (open.has(info.status) && Date.now() < deadline) {
      await sleep(500);
      info = await job.getJobInfo();
    }
    assert.equal(
      info.status,
      JOB_STATUSES.Cancelled,
      `expected esriJobCancelled after cancel, job JSON was ${JSON.stringify(info)}`,
    );
    await assert.rejects(job.waitForCompletion(), (e) => {
      assert.equal(e?.name, "ArcGISJobError", hint(e));
      assert.equal(e.jobInfo?.status, JOB_STATUSES.Cancelled);
      return true;
    });
  });
});

describe(
  "ArcGIS REST JS 4.10.2 token security",
  { skip: !hasCreds && "set TESSERA_USER and TESSERA_PASSWORD to run the token tests" },
  () => {
    before(async () => {
      await preflight();
    });

    it("advertises token security in rest/info", T, async () => {
      const info = await request(`${rootUrl}/rest/info`);
      assert.equal(info?.authInfo?.isTokenBasedSecurity, true, JSON.stringify(info));
      assert.match(String(info.authInfo.tokenServicesUrl), /^https?:\/\//, JSON.stringify(info));
      assert.equal(info.owningSystemUrl, undefined, "a standalone server must not send owningSystemUrl");
    });

    it("generates a token: ArcGISIdentityManager({server}).refreshCredentials()", T, async () => {
      const g = await generateServerToken();
      assert.ok(typeof g.token === "string" && g.token.length > 0, "generateToken must answer {token}");
      assert.ok(g.expires instanceof Date && g.expires.getTime() > Date.now(), "expires must be future epoch ms");
    });

    it("runs a DeleteImage job with the generated token", T, async () => {
      const g = await generateServerToken();
      await runDeleteImage(serverManager(g.token, g.expires));
    });

    it("ApiKeyManager sends a key as the token param", T, async () => {
      const g = await generateServerToken();
      await countWhere("1=1", ApiKeyManager.fromKey(g.token));
    });

    it("accepts the token in X-Esri-Authorization on GET (hideToken)", T, async () => {
      const g = await generateServerToken();
      const r = await request(`${imageServerUrl()}/query`, {
        httpMethod: "GET",
        hideToken: true,
        params: { where: "1=1", returnCountOnly: true },
        authentication: serverManager(g.token, g.expires),
      });
      assert.ok(Number.isInteger(r?.count), JSON.stringify(r));
    });

    it("answers 499 (ArcGISAuthError) without a token", T, async () => {
      await assert.rejects(countWhere("1=1", null), (e) => {
        assert.equal(e?.name, "ArcGISAuthError", `expected ArcGISAuthError, got ${describeError(e)}`);
        assert.equal(e.code, 499, describeError(e));
        return true;
      });
    });

    it("answers 498 (ArcGISAuthError) for an invalid token", T, async () => {
      const bad = serverManager("not-a-valid-token", new Date(Date.now() + HOUR));
      await assert.rejects(countWhere("1=1", bad), (e) => {
        assert.equal(e?.name, "ArcGISAuthError", `expected ArcGISAuthError, got ${describeError(e)}`);
        assert.equal(e.code, 498, describeError(e));
        return true;
      });
    });

    it("refreshes on 498 and retries (manager with portal=server=TESSERA_URL)", T, async () => {
      // With portal set to the server root, getToken() uses the manager's own
      // token; on a 498 request() calls refreshCredentials() (rest/info ->
      // tokenServicesUrl -> generateToken with username/password) and retries once.
      const mgr = new ArcGISIdentityManager({
        username: user,
        password,
        server: rootUrl,
        portal: rootUrl,
        token: "invalid-token-for-refresh-test",
        tokenExpires: new Date(Date.now() + HOUR),
      });
      await runDeleteImage(mgr);
      assert.notEqual(mgr.token, "invalid-token-for-refresh-test", "the token must have been refreshed");
    });

    it("refreshes a client-side expired token before use (no 498 round trip)", T, async () => {
      const mgr = new ArcGISIdentityManager({
        username: user,
        password,
        server: rootUrl,
        token: "expired-token",
        tokenExpires: new Date(Date.now() - 60_000),
      });
      await countWhere("1=1", mgr);
      assert.notEqual(mgr.token, "expired-token");
    });

    it("library behaviour: a server-only manager does not recover from 498", T, async () => {
      // REST JS 4.10.2 refreshes the manager's token on 498 but retries with
      // the cached per-server token (federatedServers[root]), so it fails again.
      const mgr = new ArcGISIdentityManager({
        username: user,
        password,
        server: rootUrl,
        token: "invalid-token",
        tokenExpires: new Date(Date.now() + HOUR),
      });
      await assert.rejects(countWhere("1=1", mgr), (e) => {
        assert.equal(e?.name, "ArcGISAuthError", describeError(e));
        assert.equal(e.code, 498, describeError(e));
        return true;
      });
    });

    it("generateToken exchanges a token (token+serverUrl) for a refreshed manager", T, async () => {
      // After refreshCredentials() the manager has a token but no cached
      // per-server token, so its first request POSTs token, serverUrl and
      // expiration (no username) to tokenServicesUrl.
      const mgr = new ArcGISIdentityManager({ username: user, password, server: rootUrl });
      await mgr.refreshCredentials();
      try {
        await countWhere("1=1", mgr);
      } catch (e) {
        if (e?.code === "ERR_ASSERTION") throw e;
        assert.fail(
          `request with a refreshed {server} manager failed: ${describeError(e)}. ` +
            "tessera's generateToken must accept token=<valid token>&serverUrl=<root> (no username) " +
            "and answer {token, expires}.",
        );
      }
    });
  },
);
