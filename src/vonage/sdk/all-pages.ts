// Paging shared by every list method of the SDK gateway.

import type { ListProgress } from "../gateway.js";

/** Vonage's maximum page size for applications, numbers and audit events. */
export const PAGE_SIZE = 100;

export interface Page<T> {
  items: T[];
  totalPages: number | undefined;
  hasNext: boolean;
  total: number | undefined;
}

/** Fetches page 1, then the remaining pages concurrently (the scheduler paces them), in page order. */
export async function allPages<T>(
  fetchPage: (page: number) => Promise<Page<T>>,
  progress: ListProgress | undefined,
): Promise<T[]> {
  const first = await fetchPage(1);
  const pages: T[][] = [first.items];
  let done = first.items.length;
  progress?.(done, first.total);
  if (first.totalPages !== undefined && first.totalPages > 1) {
    const rest = await Promise.all(
      Array.from({ length: first.totalPages - 1 }, async (_, i) => {
        const page = await fetchPage(i + 2);
        done += page.items.length;
        progress?.(done, first.total);
        return page.items;
      }),
    );
    pages.push(...rest);
  } else if (first.totalPages === undefined) {
    // No total: follow `next` links one page at a time.
    let current = first;
    for (let n = 2; current.hasNext && current.items.length > 0; n++) {
      current = await fetchPage(n);
      pages.push(current.items);
      done += current.items.length;
      progress?.(done, current.total);
    }
  }
  return pages.flat();
}
