// Types of setup-plan.mjs (plain JavaScript so that setup runs before node_modules exists), for its test.
export type SystemKind = 'debian' | 'ubuntu' | 'fedora' | 'macos' | 'windows' | 'unknown';
export interface SystemPackage {
  name: string;
  why: string;
}
export function parseOsRelease(text: string): { id: string; idLike: string[]; name: string };
export function detectSystem(
  platform: string,
  osReleaseText: string | null,
): { kind: SystemKind; name: string };
export function systemPackages(kind: SystemKind): SystemPackage[] | null;
export function browserSource(kind: SystemKind): 'system' | 'playwright' | 'playwright-with-deps';
export function missingPackages(wanted: SystemPackage[], installed: Set<string>): SystemPackage[];
export function parseDpkgQuery(stdout: string): Set<string>;
export function parseRpmQuery(stdout: string): Set<string>;
export function parseBrewList(stdout: string): Set<string>;
export function installCommands(
  kind: SystemKind,
  names: string[],
  who: { isRoot: boolean },
): { argv: string[]; viaSudo: boolean }[];
export function manualInstructions(kind: SystemKind): string[];
export function npmPlan(input: {
  lockText: string | null;
  installedText: string | null;
  optionalTopLevel?: string[];
  /** Where node_modules links to, when it is a symbolic link (a folder shared between checkouts). */
  linkedTo?: string | null;
}): { action: 'ci' | 'install' | 'skip' | 'leave'; reason: string; missingOptional: string[] };
