#!/usr/bin/env node
// The `tensorkit` bin (package.json "bin"). Node only.
import { main } from './main';

main(process.argv.slice(2)).then((code) => process.exit(code));
