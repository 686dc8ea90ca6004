/** A machine requirement of some test suites (see system-requirements.js). */
export interface Requirement {
  debianPackage: string;
  usedBy: string;
  present(): boolean;
}
export type RequirementName = 'redis-server' | 'softhsm2';
export const REQUIREMENTS: Record<RequirementName, Requirement>;
export function installHint(name: RequirementName): string;
export function requireAll(): boolean;
