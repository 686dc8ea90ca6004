// A type test (compiled by `npm test`, never run): the documented configuration interfaces and
// the zod schema describe exactly the same input, field by field, at every depth.
import type {
  PartnerConfig,
  PartnerConfigInput,
  S2SConfig,
  S2SConfigInput,
} from '../../../src/core/config/config-input';
import type {
  PartnerSchemaInput,
  PartnerSchemaOutput,
  SchemaInput,
  SchemaOutput,
} from '../../../src/core/config/config-schema';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** The shape of a type: its keys at every depth (optionality kept), its leaf types. */
type Shape<T> = T extends readonly (infer U)[] ? Shape<U>[] : T extends object ? { [K in keyof T]: Shape<T[K]> } : T;
type Assert<T extends true> = T;

export type ConfigMatches = Assert<Equal<Shape<S2SConfigInput>, Shape<SchemaInput>>>;
export type PartnerMatches = Assert<Equal<Shape<PartnerConfigInput>, Shape<PartnerSchemaInput>>>;
export type ResolvedMatches = Assert<Equal<Shape<S2SConfig>, Shape<SchemaOutput>>>;
export type PartnerOutputMatches = Assert<Equal<Shape<PartnerConfig>, Shape<PartnerSchemaOutput>>>;
