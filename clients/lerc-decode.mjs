// Decodes a LERC blob with Esri's JavaScript decoder (the lerc npm package,
// pinned in package.json) and prints what it read as JSON:
// {width, height, pixelType, bands: [[v, …], …], masks: [[0|1, …], …] | null}.
// Used by the Go tests to check tessera's format=lerc output independently
// of liblerc, the library that wrote it.
//
//	node lerc-decode.mjs blob.lrc
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const Lerc = createRequire(import.meta.url)("lerc");
const buf = readFileSync(process.argv[2]);
const img = Lerc.decode(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
const n = img.width * img.height;
const masks = img.bandMasks ?? (img.mask ? img.pixels.map(() => img.mask) : null);
process.stdout.write(JSON.stringify({
  width: img.width,
  height: img.height,
  pixelType: img.pixelType,
  bands: img.pixels.map((p) => Array.from(p.subarray(0, n))),
  masks: masks && masks.map((m) => Array.from(m)),
}));
