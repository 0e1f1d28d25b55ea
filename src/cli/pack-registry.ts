#!/usr/bin/env node
// The `pack-registry` command. Before anything else is loaded, V8's young generation is held at its initial size
// (two 1 MiB semi-spaces) instead of growing to 2 × 16 MiB; then the commands load (commands.ts). Not an import
// evaluated first: a static import graph is loaded and compiled before any of it runs, and that alone grew the
// young generation to 2 × 8 MiB.
//
// Why: with room for 16 MiB of young objects, collections of the young generation are rare during a push, so
// the buffers a push makes and drops (each TLS record and each inflated chunk, about 100 MB per 50 MB push)
// pile up between them, and the 32 MiB of young space a start fills once stay resident for good. Held at its
// initial size, the young generation is collected every megabyte of small objects and those buffers go with it:
// bench `s3` (issue 15, 150 MB bound), peak RSS during a 50 MB push 169 → 117–121 MB on S3 and 133–135 →
// 90–95 MB on the filesystem, idle RSS 3–9 MB lower. The price: a 50 MB push on the filesystem took about 7 %
// longer in paired runs (young collections cost some CPU), on S3 none; 50 MB downloads were no slower.
//
// Why here and not `node --max-semi-space-size=1`: the server is started as `pack-registry serve` (npm's bin,
// the image, the bench), where no node option is given. The growth factor is the one young-generation setting
// V8 reads at run time, each time it would grow the space; set before the modules load, the space never grows.
// Another size to hold it at: `node --min-semi-space-size=N …/pack-registry.js serve` (MiB; node refuses that
// option in NODE_OPTIONS, and --max-semi-space-size no longer changes anything).
import { setFlagsFromString } from 'node:v8';

// 1, never 0: the factor multiplies the space's size (0 crashes V8 when it next grows the space).
setFlagsFromString('--semi-space-growth-factor=1');
await import('./commands.js');
