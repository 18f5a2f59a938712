import { useEffect, useState } from 'react';
import type {
  AuditEvent,
  Device,
  JobReport,
  JobReportList,
  StorageOverview,
} from '../../src-shared/http-api';
import { formatBytes, formatCount } from '../../src-shared/units';
import type { Problem } from '../components/action-result';
import { ErrorMessage } from '../components/error-message';
import { JOB_KIND_WORDS, JOB_STATUS_WORDS, formatTime, visibleText } from './format';
import { routePaths } from './hash-route';
import { useClient, usePanel } from './panel-context';
import { ALERT_WORDS } from './storage-words';

/** Failed sign-ins this recent are worth a line on the home page. */
const FAILED_SIGN_IN_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;
/** Storage this full is worth a warning before backups start failing. */
const QUOTA_WARNING_SHARE = 0.9;

interface Glance {
  devices: Device[];
  reports: JobReportList;
  storage: StorageOverview;
  events: AuditEvent[];
  /** When it was loaded: "the last 7 days" count from then. */
  loadedAt: number;
}

/** The latest backup a device's computer reported (its reports are newest first). */
function lastBackup(device: Device, reports: JobReportList): JobReport | null {
  const entry = reports.devices.find((d) =>
    device.computerId !== null ? d.computerId === device.computerId : d.deviceId === device.id,
  );
  return entry?.reports.find((r) => r.kind === 'backup') ?? null;
}

/**
 * The landing page after signing in: the account at a glance. What needs attention first (files
 * deleted in bursts, storage nearly full, failed backups and sign-ins, two-factor off), then
 * two-factor, storage used, and each device with its last backup.
 */
export function OverviewPage() {
  const account = usePanel((s) => s.account);
  const client = useClient();
  const [glance, setGlance] = useState<Glance | null>(null);
  const [error, setError] = useState<Problem | null>(null);

  useEffect(() => {
    let live = true;
    void Promise.all([client.devices(), client.jobReports(), client.storageOverview(), client.audit()]).then(
      ([devices, reports, storage, audit]) => {
        if (!live) return;
        if (devices.ok && reports.ok && storage.ok && audit.ok) {
          setGlance({
            devices: devices.value.devices,
            reports: reports.value,
            storage: storage.value,
            events: audit.value.events,
            loadedAt: Date.now(),
          });
          setError(null);
        } else {
          const failed = [devices, reports, storage, audit].find((r) => !r.ok);
          setError(failed && !failed.ok ? failed.error : null);
        }
      },
    );
    return () => {
      live = false;
    };
  }, [client]);

  if (!account) return null;

  const alerts: Array<{ key: string; text: string; href: string }> = [];
  if (!account.totpEnabled) {
    alerts.push({
      key: 'totp',
      text: 'Two-factor authentication is off: a stolen password alone opens your account.',
      href: routePaths.account,
    });
  }
  if (glance) {
    for (const a of glance.storage.deletionAlerts) {
      alerts.push({
        key: `${a.repository}-${a.kind}-${a.at}`,
        text: `${visibleText(a.repository)}: ${ALERT_WORDS[a.kind](a)} on ${formatTime(a.at)}${a.device ? ` by ${visibleText(a.device)}` : ''}.`,
        href: routePaths.storage,
      });
    }
    const { quotaBytes, usedBytes } = glance.storage;
    if (quotaBytes !== null && quotaBytes > 0 && usedBytes >= quotaBytes * QUOTA_WARNING_SHARE) {
      alerts.push({
        key: 'quota',
        text: `Account storage is ${Math.round((usedBytes / quotaBytes) * 100)}% full: backups stop when it is full.`,
        href: routePaths.storage,
      });
    }
    for (const d of glance.devices) {
      const last = lastBackup(d, glance.reports);
      if (last && (last.status === 'failed' || last.status === 'partial')) {
        alerts.push({
          key: `backup-${d.id}`,
          text: `The last backup of ${visibleText(last.item)} on ${visibleText(d.name)} ${JOB_STATUS_WORDS[last.status]} (${formatTime(last.startedAt)}).`,
          href: routePaths.storage,
        });
      }
    }
    const since = glance.loadedAt - FAILED_SIGN_IN_WINDOW_MS;
    const failed = glance.events.filter((e) => e.kind === 'sign_in_failure' && Date.parse(e.at) >= since);
    if (failed.length > 0) {
      alerts.push({
        key: 'sign-ins',
        text: `${formatCount(failed.length, 'failed sign-in')} in the last 7 days, the latest on ${formatTime(failed[0]!.at)}.`,
        href: routePaths.account,
      });
    }
  }

  return (
    <main className="panel-main panel-wide" aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        Backup account
      </h1>
      <p>
        Signed in as <strong>{account.username}</strong>.
      </p>
      <ErrorMessage error={error} />
      <section className="panel-section" aria-labelledby="overview-alerts">
        <h2 id="overview-alerts">Needs attention</h2>
        {glance === null && !error ? (
          <p>Loading…</p>
        ) : alerts.length === 0 ? (
          <p>Nothing: your account and backups look fine.</p>
        ) : (
          <ul className="panel-list">
            {alerts.map((a) => (
              <li key={a.key} className="sr-warning">
                {a.text} <a href={a.href}>See more</a>
              </li>
            ))}
          </ul>
        )}
      </section>
      <div className="panel-grid">
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
        <section className="panel-section" aria-labelledby="overview-storage">
          <h2 id="overview-storage">Account storage</h2>
          {glance && <StorageGlance storage={glance.storage} />}
          <p>
            <a href={routePaths.storage}>Vaults, recently deleted files and tokens</a>
          </p>
        </section>
      </div>
      <section className="panel-section" aria-labelledby="overview-devices">
        <h2 id="overview-devices">Devices and their last backups</h2>
        {glance && glance.devices.length === 0 && <p>No desktop app is signed in to this account.</p>}
        {glance && glance.devices.length > 0 && (
          <ul className="panel-list">
            {glance.devices.map((d) => {
              const last = lastBackup(d, glance.reports);
              return (
                <li key={d.id}>
                  <strong>{visibleText(d.name)}</strong>{' '}
                  <span className="panel-muted">
                    (last seen {d.lastSeenAt ? formatTime(d.lastSeenAt) : 'never'})
                  </span>
                  <br />
                  {last
                    ? `Last backup: ${visibleText(last.item)}, ${formatTime(last.startedAt)}, ${JOB_STATUS_WORDS[last.status]}; ${formatBytes(last.bytesAdded)} added.`
                    : `No ${JOB_KIND_WORDS.backup} reported yet.`}
                </li>
              );
            })}
          </ul>
        )}
      </section>
    </main>
  );
}

function StorageGlance({ storage }: { storage: StorageOverview }) {
  const deleted = storage.repositories.reduce((sum, r) => sum + r.recentlyDeletedBytes, 0);
  return (
    <>
      <p>
        {formatBytes(storage.usedBytes)} used
        {storage.quotaBytes === null ? ' (no quota)' : ` of ${formatBytes(storage.quotaBytes)}`}, in{' '}
        {formatCount(storage.repositories.length, 'storage vault')}.
      </p>
      {storage.quotaBytes !== null && storage.quotaBytes > 0 && (
        <meter
          className="panel-meter"
          aria-label="Account storage used"
          min={0}
          max={storage.quotaBytes}
          high={storage.quotaBytes * QUOTA_WARNING_SHARE}
          value={storage.usedBytes}
        />
      )}
      {deleted > 0 && (
        <p>
          {formatBytes(deleted)} of it is recently deleted files, restorable for {storage.graceDays} days.
        </p>
      )}
    </>
  );
}
