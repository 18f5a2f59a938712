import type { AccountView } from '../../src-shared/ipc-contract';
import { useDesktop } from './store';
import { useFocusOnMount } from './use-focus-on-mount';

/** Account: who is signed in, where, and whether two-factor authentication is on. */
export function AccountPage({ account, serverIsLocal }: { account: AccountView; serverIsLocal: boolean }) {
  const navigate = useDesktop((s) => s.navigate);
  const heading = useFocusOnMount<HTMLHeadingElement>();
  return (
    <section className="page" aria-labelledby="account-title">
      <h1 id="account-title" ref={heading} tabIndex={-1}>
        Account
      </h1>
      {account.mustEnrollTotp && (
        <div className="notice warning" role="status">
          <p>
            Your account server requires two-factor authentication. Turn it on to go on using this account.
          </p>
          <button
            type="button"
            className="primary"
            onClick={() => navigate({ page: 'account-settings', tab: 'two-factor' })}
          >
            Set up two-factor authentication
          </button>
        </div>
      )}
      <dl className="facts" aria-label="Account details">
        <div>
          <dt>Username</dt>
          <dd>{account.username}</dd>
        </div>
        <div>
          <dt>Server</dt>
          <dd>
            <span className="mono">{account.serverUrl}</span>
            {serverIsLocal && <span className="tag">This computer</span>}
          </dd>
        </div>
        <div>
          <dt>Two-factor authentication</dt>
          <dd>
            {account.totpEnabled ? (
              <span className="state on">On</span>
            ) : (
              <span className="state off">Off</span>
            )}
            {account.totpEnabled && (
              <span className="quiet">
                {account.recoveryCodesRemaining === 1
                  ? '1 recovery code left'
                  : `${account.recoveryCodesRemaining} recovery codes left`}
              </span>
            )}
          </dd>
        </div>
      </dl>
      <div className="actions">
        <button
          type="button"
          className="primary"
          onClick={() => navigate({ page: 'account-settings', tab: 'account' })}
        >
          Change account settings
        </button>
      </div>
    </section>
  );
}
