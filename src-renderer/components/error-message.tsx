import type { Problem } from './action-result';
import { useRetryCountdown } from './use-retry-countdown';

export interface ErrorMessageProps {
  /** Nothing is rendered for null. */
  error: Problem | null | undefined;
  /**
   * Seconds left of a throttle wait when the parent already runs useRetryCountdown (to disable
   * its button); otherwise this component counts down by itself.
   */
  secondsLeft?: number;
  /** Replaces error.message, e.g. to word a refused code differently on a code step. */
  message?: string;
  id?: string;
}

/**
 * An error a person can act on, announced to screen readers (role=alert). A throttled answer
 * reads "Too many attempts. Try again in 42 s." and counts down live.
 */
export function ErrorMessage({ error, secondsLeft, message, id }: ErrorMessageProps) {
  const own = useRetryCountdown(error);
  if (!error) return null;
  const left = secondsLeft ?? own;
  if (error.code === 'throttled' || error.retryAfterSeconds) {
    return (
      <div role="alert" className="sr-error" id={id}>
        {left > 0 ? (
          <>
            Too many attempts. Try again in{' '}
            {/* The number ticks every second; only the alert itself should be announced, not each tick. */}
            <span className="sr-countdown" aria-live="off">
              {left}
            </span>{' '}
            s.
          </>
        ) : (
          <>Too many attempts. You can try again now.</>
        )}
      </div>
    );
  }
  return (
    <div role="alert" className="sr-error" id={id}>
      {message ?? error.message}
    </div>
  );
}
