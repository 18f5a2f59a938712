/**
 * The views account:computers answers, as CONTRACT-17 names them (until the contract's own types
 * land in src-shared/ipc-contract.ts, which then replace these).
 */
export interface DirectoryVaultView {
  vaultId: string;
  name: string;
  kind: 'local' | 'account';
  onThisComputer: boolean;
  /** A drive's last path. */
  locationHint: string | null;
  needsFolder: boolean;
}

export interface ComputerView {
  computerId: string;
  name: string;
  isThisComputer: boolean;
  lastBackupAt: string | null;
  vaultIds: string[];
  itemCount: number;
  hasProfile: boolean;
}

export interface AccountComputersView {
  thisComputerId: string;
  computers: ComputerView[];
  vaults: DirectoryVaultView[];
}
