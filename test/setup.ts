import fc from 'fast-check';

// Every property test is seeded: a failure reproduces on every run and every machine.
fc.configureGlobal({ seed: 20261129 });
