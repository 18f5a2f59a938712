import { routePaths } from './hash-route';
import { usePanel } from './panel-context';

/** The landing page after signing in: who you are and whether two-factor authentication is on. */
export function OverviewPage() {
  const account = usePanel((s) => s.account);
  if (!account) return null;
  return (
    <main className="panel-main" aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        Backup account
      </h1>
      <p>
        Signed in as <strong>{account.username}</strong>.
      </p>
      <section className="panel-section" aria-labelledby="overview-2fa">
        <h2 id="overview-2fa">Two-factor authentication</h2>
        {account.totpEnabled ? (
          <p>
            On. {account.recoveryCodesRemaining} recovery{' '}
            {account.recoveryCodesRemaining === 1 ? 'code' : 'codes'} left.
          </p>
        ) : (
          <p className="sr-warning">
            Off. Turn it on in <a href={routePaths.account}>My Account</a> so that a stolen password alone
            cannot open your backups.
          </p>
        )}
        <p>
          Change it, your password and your devices in account settings:{' '}
          <a href={routePaths.account}>My Account</a>.
        </p>
      </section>
    </main>
  );
}
