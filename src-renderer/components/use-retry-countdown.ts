import { useEffect, useState } from 'react';
import type { Problem } from './action-result';

/**
 * Seconds left before a throttled action may be tried again, counting down live from the
 * problem's retryAfterSeconds. 0 when there is nothing to wait for. Buttons use it to stay
 * disabled meanwhile; ErrorMessage uses it to say "Try again in 42 s."
 */
export function useRetryCountdown(problem: Problem | null | undefined): number {
  const [tick, setTick] = useState<{ problem: Problem | null | undefined; left: number }>({
    problem: null,
    left: 0,
  });

  useEffect(() => {
    const seconds = problem?.retryAfterSeconds;
    if (!problem || !seconds || seconds <= 0) return;
    const deadline = Date.now() + seconds * 1000;
    const id = window.setInterval(() => {
      const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      setTick({ problem, left });
      if (left === 0) window.clearInterval(id);
    }, 250);
    return () => window.clearInterval(id);
  }, [problem]);

  // Until the first tick for this problem, the full wait applies.
  if (!problem?.retryAfterSeconds || problem.retryAfterSeconds <= 0) return 0;
  return tick.problem === problem ? tick.left : Math.ceil(problem.retryAfterSeconds);
}
