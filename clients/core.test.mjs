// Contract tests: @arcgis/core 5.1.25 (ArcGIS Maps SDK for JavaScript) rest/geoprocessor
// in plain Node against a running tessera. See NOTES.md §2.
//
//   TESSERA_URL=http://127.0.0.1:8080/arcgis [TESSERA_USER=.. TESSERA_PASSWORD=..] \
//     node --test --test-concurrency=1 core.test.mjs
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import esriConfig from "@arcgis/core/config.js";
import esriRequest from "@arcgis/core/request.js";
import * as geoprocessor from "@arcgis/core/rest/geoprocessor.js";
import {
  collection,
  describeError,
  hasCreds,
  imageServerUrl,
  password,
  preflight,
  rootUrl,
  taskUrl,
  user,
} from "./lib/tessera.mjs";

// In Node the IdentityManager cannot load (it imports calcite CSS, which
// Node's ESM loader rejects), so never let a 401/403/498/499 trigger it.
esriConfig.request.useIdentity = false;

const T = { timeout: 90_000 };

function hint(e) {
  const d = describeError(e);
  const code = e?.details?.httpStatus;
  if (code === 499 || code === 498)
    return `${d}\n  -> tessera requires a token here; set TESSERA_USER and TESSERA_PASSWORD`;
  return d;
}

// getServerToken does what the SDK's IdentityManager does for a standalone
// server in a browser: read authInfo from <root>/rest/info, then POST
// request=getToken&username&password&expiration&f=json to tokenServicesUrl.
async function getServerToken() {
  const { data: info } = await esriRequest(`${rootUrl}/rest/info`, { query: { f: "json" } });
  const tokenUrl = info?.authInfo?.tokenServicesUrl;
  assert.ok(tokenUrl, `rest/info has no authInfo.tokenServicesUrl: ${JSON.stringify(info)}`);
  const { data } = await esriRequest(tokenUrl, {
    method: "post",
    authMode: "anonymous",
    query: {
      request: "getToken",
      username: user,
      password,
      expiration: info.authInfo.shortLivedTokenValidity || 60,
      f: "json",
    },
  });
  assert.ok(typeof data?.token === "string" && data.token, `generateToken answered ${JSON.stringify(data)}`);
  return data.token;
}

function deleteImageParams(where, name = collection) {
  return {
    imageCollection: JSON.stringify({ url: imageServerUrl(name) }),
    where,
  };
}

describe("@arcgis/core 5.1.25 rest/geoprocessor", () => {
  before(async () => {
    await preflight();
    if (hasCreds) {
      const token = await getServerToken();
      // Attach the token to every request under the services directory.
      // (esriConfig.apiKeys.scopes = [{token, urls: [rootUrl]}] works too;
      // esriConfig.apiKey alone is only used for *.arcgis.com URLs.)
      esriConfig.request.interceptors.push({
        urlPrefix: `${rootUrl}/rest/services`,
        query: { token },
      });
    }
  });

  it("runs DeleteImage: submitJob -> waitForJobCompletion -> fetchResultData('result')", T, async () => {
    let jobInfo;
    try {
      jobInfo = await geoprocessor.submitJob(taskUrl("DeleteImage"), deleteImageParams("CloudCover > 50"));
    } catch (e) {
      assert.fail(`submitJob failed: ${hint(e)}`);
    }
    assert.ok(jobInfo.jobId, "submitJob must answer {jobId, jobStatus}");
    try {
      await jobInfo.waitForJobCompletion({ interval: 1000 });
    } catch (e) {
      assert.fail(`job did not succeed: ${hint(e)}`);
    }
    assert.equal(jobInfo.jobStatus, "job-succeeded");
    const result = await jobInfo.fetchResultData("result");
    assert.equal(result.paramName, "result", `results/result must carry paramName: ${JSON.stringify(result)}`);
    assert.ok(
      typeof result.value?.url === "string" && result.value.url.endsWith(`/${collection}/ImageServer`),
      `fetchResultData('result').value.url must end in /${collection}/ImageServer; got dataType=` +
        `${JSON.stringify(result.dataType)} value=${JSON.stringify(result.value)} ` +
        "(an unknown dataType makes @arcgis/core drop the value; use GPString)",
    );
  });

  it("rejects a bad where at submitJob with the body's error code 400", T, async () => {
    await assert.rejects(
      geoprocessor.submitJob(taskUrl("DeleteImage"), deleteImageParams("CloudCovr > 5")),
      (e) => {
        assert.equal(e?.name, "request:server", hint(e));
        assert.equal(e.details?.httpStatus, 400, hint(e));
        return true;
      },
    );
  });

  it("surfaces a failed job as an error (DeleteImage on a missing collection)", T, async () => {
    let jobInfo;
    try {
      jobInfo = await geoprocessor.submitJob(
        taskUrl("DeleteImage"),
        deleteImageParams("1=1", "NoSuchCollection_tessera_test"),
      );
    } catch (e) {
      // Rejected synchronously: must be a proper server error, not a crash.
      assert.equal(e?.name, "request:server", hint(e));
      const code = e.details?.httpStatus;
      assert.ok(code >= 400 && code !== 498 && code !== 499, hint(e));
      return;
    }
    await assert.rejects(jobInfo.waitForJobCompletion({ interval: 1000 }), (e) => {
      // waitForJobCompletion rejects with the JobInfo itself on failure.
      assert.equal(e?.jobStatus, "job-failed", hint(e));
      assert.ok(
        e.messages?.some((m) => m.type === "error"),
        `a failed job should carry an esriJobMessageTypeError message: ${hint(e)}`,
      );
      return true;
    });
  });
});
