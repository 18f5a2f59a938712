import { useEffect } from 'react';
import type { ReactNode } from 'react';
import { desktopApi } from './api';
import { MainWindow } from './main-window';
import { useDesktop } from './store';
import { UnlockScreen } from './unlock-screen';

/** Decides the one screen to show: nothing of the account is rendered unless main says unlocked. */
export function App() {
  const screen = useDesktop((s) => s.screen);
  const start = useDesktop((s) => s.start);
  const lockedByMain = useDesktop((s) => s.lockedByMain);

  useEffect(() => {
    const bridge = desktopApi();
    // Subscribe before asking, so a lock that lands during start-up is not missed.
    const unsubscribe = bridge?.onLocked(({ reason }) => lockedByMain(reason));
    void start();
    return () => unsubscribe?.();
  }, [start, lockedByMain]);

  switch (screen.kind) {
    case 'starting':
      return <Message title="Strongroom" text="Starting…" busy />;
    case 'no-bridge':
      return (
        <Message
          title="Strongroom cannot start here"
          text="This page is the Strongroom desktop app. Open it with the Strongroom app, or at the address the harness prints (npm run harness)."
          alert
        />
      );
    case 'start-failed':
      return (
        <Message title="Strongroom could not start" text={screen.message} alert>
          <button type="button" className="primary" onClick={() => void start()}>
            Retry
          </button>
        </Message>
      );
    case 'locked':
      return (
        <UnlockScreen
          key={screen.status.lockedAt ?? 'locked'}
          status={screen.status}
          notice={screen.notice}
        />
      );
    case 'closing':
      return <Message title="Strongroom is locked" text="Strongroom is locked and closing." />;
    case 'unlocked':
      return <MainWindow account={screen.account} serverIsLocal={screen.serverIsLocal} />;
  }
}

function Message({
  title,
  text,
  alert,
  busy,
  children,
}: {
  title: string;
  text: string;
  alert?: boolean;
  busy?: boolean;
  children?: ReactNode;
}) {
  return (
    <main className="unlock" aria-busy={busy || undefined}>
      <div className="unlock-card message">
        <div className="brand-mark" aria-hidden="true">
          <span className="brand-glyph" />
        </div>
        <h1>{title}</h1>
        <p role={alert ? 'alert' : 'status'}>{text}</p>
        {children}
      </div>
    </main>
  );
}
