import { DevicesSection } from './devices-section';
import { formatTime } from './format';
import { HistorySection } from './history-section';
import { usePanel, useSignOut } from './panel-context';
import { PasswordSection } from './password-section';
import { TwoFactorSection } from './two-factor-section';

/** Account settings → My Account, as on the reference page. */
export function MyAccountPage() {
  const account = usePanel((s) => s.account);
  const refresh = usePanel((s) => s.refreshAccount);
  const signOut = useSignOut();
  if (!account) return null;

  if (account.mustEnrollTotp) {
    // --require-totp: nothing but enrolment (and signing out) until it is done.
    return (
      <main className="panel-main" aria-labelledby="page-title">
        <h1 id="page-title" tabIndex={-1}>
          Set up two-factor authentication
        </h1>
        <p className="sr-warning">
          This server requires two-factor authentication for every account. Set it up now to continue; nothing
          else is available until it is done.
        </p>
        <TwoFactorSection account={account} refresh={refresh} forced />
        <div className="sr-actions">
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </main>
    );
  }

  return (
    <main className="panel-main" aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        My Account
      </h1>
      <section className="panel-section" aria-labelledby="account-title">
        <h2 id="account-title">Account</h2>
        <div className="sr-field">
          <label htmlFor="account-username">Username</label>
          <input id="account-username" type="text" value={account.username} readOnly />
        </div>
        <p className="sr-hint">Created {formatTime(account.createdAt)}.</p>
      </section>
      <TwoFactorSection account={account} refresh={refresh} />
      <PasswordSection />
      <DevicesSection />
      <HistorySection changedAt={account} />
      <section className="panel-section" aria-labelledby="signout-title">
        <h2 id="signout-title">Sign out</h2>
        <p>Ends this session in this browser.</p>
        <div className="sr-actions">
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </section>
    </main>
  );
}
