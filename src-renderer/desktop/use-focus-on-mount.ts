import { useEffect, useRef } from 'react';

/**
 * Moves focus to a page's heading when the page appears (after unlocking, on opening the
 * settings), so keyboard and screen-reader users start where the new content starts.
 * The heading needs tabIndex={-1}.
 */
export function useFocusOnMount<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return ref;
}
