import type { JobRecord } from '../../src-shared/backup-jobs';
import type { IpcError, LockReason } from '../../src-shared/ipc-contract';

/**
 * What a person reads for each failure (a throttled answer is worded, with its live countdown, by
 * the shared ErrorMessage). The renderer owns these words (main's `message` is the
 * fallback for codes a screen does not expect), so every screen says the same thing the same way.
 */
export function unlockErrorText(
  error: IpcError,
  context: { codeWasEntered: boolean; serverUrl: string },
): string {
  switch (error.code) {
    case 'invalid_credentials':
      // The server answers a wrong code exactly like a wrong password (so neither can be probed apart).
      return context.codeWasEntered
        ? 'Wrong username, password or two-factor code. Check them and try again.'
        : 'Wrong username or password. Check them and try again.';
    case 'totp_required':
      return 'This account uses two-factor authentication. Enter the six-digit code from your authenticator app.';
    case 'wrong_code':
      return 'That two-factor code is wrong or was already used. Enter your password again and the newest code from your authenticator app.';
    case 'unreachable':
      return `Cannot reach the account server at ${context.serverUrl}. Check that it is running and that the address is right, then Retry.`;
    case 'bad_request':
      return error.message || 'Check the fields and try again.';
    case 'password_change_required':
      return 'Your password was set by the server’s administrator and works only once. Choose a new password of your own to go on.';
    case 'key_changed':
    case 'key_unavailable':
      return keyProblemText(error);
    default:
      return error.message || 'Unlock failed. Try again.';
  }
}

export function accountErrorText(error: IpcError): string {
  switch (error.code) {
    case 'wrong_code':
      return 'That code is wrong or was already used. Wait for the next code in your authenticator app and try again.';
    case 'invalid_credentials':
      return 'Wrong password or code. Check them and try again.';
    case 'enrolment_expired':
      return 'The setup took too long and has expired. Start again to get a new QR image.';
    case 'no_pending_enrolment':
      return 'There is no setup in progress. Start again to get a new QR image.';
    case 'totp_already_enabled':
      return 'Two-factor authentication is already on for this account.';
    case 'totp_not_enabled':
      return 'Two-factor authentication is not on for this account.';
    case 'password_changed':
      return 'The password of your account was changed elsewhere. Lock the app and unlock it with the new password.';
    case 'session_expired':
      return 'Your sign-in on the account server has ended. Unlock Strongroom again to go on.';
    case 'throttled':
      return error.retryAfterSeconds
        ? `Too many failed attempts. Try again in ${error.retryAfterSeconds} s.`
        : 'Too many failed attempts. Try again in a while.';
    case 'unreachable':
      return 'Cannot reach the account server. Check your connection and try again.';
    case 'reauthentication_required':
      return 'This needs your password again. Try again and enter it when Strongroom asks.';
    case 'key_changed':
    case 'key_unavailable':
      return keyProblemText(error);
    default:
      return error.message || 'That did not work. Try again.';
  }
}

/**
 * The account's key could not be used. key_changed: the server answered with another key than the
 * one this computer (and the recovery kit) knows, so Strongroom refused it. key_unavailable: the
 * keys could not be opened; main's message says why where it knows.
 */
export function keyProblemText(error: IpcError): string {
  if (error.code === 'key_changed')
    return 'This account’s key changed: the account server answered with a key that is not the one this computer knows (the Key ID on your recovery kit). Strongroom did not use it. Nothing on this computer was changed. If nobody reset this account on purpose, the server may have been tampered with: ask its administrator before you go on.';
  const why = error.message ? ` ${error.message}` : '';
  return `Strongroom could not open your account’s keys, so it cannot open vaults your account keeps or restore another computer’s backups.${why} Backups already set up on this computer keep running. Lock and unlock again; if this stays, use “Forgot password?” with your recovery kit.`;
}

/** "Forgot password?": what a refused reset means and what to do. */
export function forgotPasswordErrorText(error: IpcError, serverUrl: string): string {
  switch (error.code) {
    case 'invalid_credentials':
      return 'That username and recovery key do not go together. Check the username and each group of four against your account recovery kit.';
    case 'totp_required':
      return 'This account uses two-factor authentication. Enter the six-digit code from your authenticator app (or a recovery code), and the new password again.';
    case 'wrong_code':
      return 'That two-factor code is wrong or was already used. Enter the newest code from your authenticator app and the new password again.';
    case 'bad_request':
      return error.message || 'Check the fields and try again.';
    case 'unreachable':
      return `Cannot reach the account server at ${serverUrl}. Check that it is running, then try again.`;
    case 'key_changed':
    case 'key_unavailable':
      return keyProblemText(error);
    default:
      return error.message || 'The password could not be reset. Try again.';
  }
}

/** Why the unlock screen is showing, when it was not simply a fresh start. */
export function lockReasonText(reason: LockReason | null): string | null {
  switch (reason) {
    case 'manual-in-place':
      return 'You locked Strongroom. Unlock to go on.';
    case 'idle':
      return 'Strongroom locked itself after a period without use.';
    case 'suspend':
      return 'Strongroom locked itself when the computer went to sleep.';
    case 'screen-lock':
      return 'Strongroom locked itself when the screen was locked.';
    case 'session-expired':
      return 'Your sign-in on the account server has ended. Unlock again to go on.';
    case 'password-changed':
      return 'The password of your account was changed (on the web panel or by the server’s administrator), so this computer was signed out. Unlock with the new password.';
    default:
      return null;
  }
}

/** What a job is, as the lock dialog names it. */
function jobPhrase(job: Pick<JobRecord, 'kind' | 'itemName' | 'vaultName'>): string {
  switch (job.kind) {
    case 'backup':
      return `the backup of ${job.itemName ?? job.vaultName}`;
    case 'restore':
      return `the restore from ${job.vaultName}`;
    case 'verify':
      return `the check of ${job.vaultName}`;
    case 'retention':
      return `the clean-up of ${job.vaultName}`;
    case 'catalogue':
      return `the search index of ${job.vaultName}`;
  }
}

/**
 * The lock dialog's line about work that goes on while locked ("The backup of Documents keeps
 * running while Strongroom is locked."), or null when nothing runs.
 */
export function keepsRunningText(jobs: Pick<JobRecord, 'kind' | 'itemName' | 'vaultName'>[]): string | null {
  const phrases = [...new Set(jobs.map(jobPhrase))];
  if (phrases.length === 0) return null;
  const listed =
    phrases.length === 1
      ? phrases[0]!
      : `${phrases.slice(0, -1).join(', ')} and ${phrases[phrases.length - 1]}`;
  const verb = phrases.length === 1 ? 'keeps' : 'keep';
  return `${listed.charAt(0).toUpperCase()}${listed.slice(1)} ${verb} running while Strongroom is locked.`;
}

export function minutesLabel(minutes: number): string {
  if (minutes === 60) return '1 hour';
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}
