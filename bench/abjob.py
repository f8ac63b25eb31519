#!/usr/bin/env python3
"""A/B of AddImage between tessera builds, in turns.

    python3 bench/abjob.py ROUNDS BINARY...

Each round starts every binary in turn on a fresh data directory, creates a
collection, runs AddImage of the 10,000 small GeoTIFFs that
`TESSERA_BENCH_INGEST=small go run ./bench -only ingest` generates (run it once
first), and stops the server. It prints the rate (submit to esriJobSucceeded,
polling every 20 ms) and the server's CPU per item (from /proc), then the
medians. Alternating the builds run by run keeps a noisy machine's drift out
of the comparison. Loopback only; port 8096.
"""
import json, os, shutil, statistics, subprocess, sys, tempfile, time, urllib.parse, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(ROOT, "bench", ".cache")
DATA = os.path.join(CACHE, "ingest", "small-10000")
BASE = "http://127.0.0.1:8096/arcgis/rest"
GP = BASE + "/services/System/RasterAnalysisTools/GPServer"


def post(url, data):
    return json.load(urllib.request.urlopen(url, urllib.parse.urlencode(data).encode()))


def get(url):
    return json.load(urllib.request.urlopen(url))


def run(task, inputs):
    start = time.time()
    job = post(f"{GP}/{task}/submitJob", dict(inputs, f="json"))["jobId"]
    while True:
        s = get(f"{GP}/{task}/jobs/{job}?f=json")
        if s["jobStatus"] in ("esriJobSucceeded", "esriJobFailed", "esriJobCancelled"):
            break
        time.sleep(0.02)
    if s["jobStatus"] != "esriJobSucceeded":
        sys.exit(f"{task}: {s['jobStatus']}: {s.get('messages')}")
    return time.time() - start


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    if len(sys.argv) < 3 or not os.path.isdir(DATA):
        sys.exit(__doc__)
    rounds, binaries = int(sys.argv[1]), sys.argv[2:]
    count = sum(len(f) for _, _, f in os.walk(DATA)) - 1  # less the "complete" marker
    results = {b: [] for b in binaries}
    for _ in range(rounds):
        for b in binaries:
            data = tempfile.mkdtemp(prefix="abjob")
            srv = subprocess.Popen([b, "serve", "--addr", "127.0.0.1:8096", "--data", data, "--data-store", CACHE],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                for _ in range(200):
                    try:
                        get(BASE + "/info?f=json")
                        break
                    except OSError:
                        time.sleep(0.05)
                run("CreateImageCollection", {"imageCollection": "B", "context": json.dumps({"outSR": {"wkid": 32633}})})
                cpu0 = cpu_seconds(srv.pid)
                wall = run("AddImage", {"imageCollection": "B", "inputRasters": DATA})
                cpu = cpu_seconds(srv.pid) - cpu0
            finally:
                srv.terminate()
                srv.wait()
                shutil.rmtree(data)
            results[b].append((count / wall, cpu * 1e6 / count))
            print(f"{os.path.basename(b)}: {count / wall:.0f} items/s, {cpu * 1e6 / count:.0f} µs of CPU per item", flush=True)
    for b, r in results.items():
        rates, cpus = [x for x, _ in r], [y for _, y in r]
        print(f"{os.path.basename(b)}: median {statistics.median(rates):.0f} items/s ({min(rates):.0f}–{max(rates):.0f}), "
              f"{statistics.median(cpus):.0f} µs of CPU per item, {len(r)} runs")


if __name__ == "__main__":
    main()
