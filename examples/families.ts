/** The demo's families; they live in src/cli/families.ts (the `tensorkit demo` bin runs them). */
export { trainFamilies, type FamilyRow } from '../src/cli/families';
