// Lets TanStack Virtual scroll a million 36px rows: browsers cannot lay out a box taller than ~33.5M px, so past a cap the real scroll range is compressed and offsets are scaled.
import type { Rect, Virtualizer } from "@tanstack/react-virtual";

/** The tallest scroll range we ask the browser to lay out (WebKit and Chromium stop at 2^25 px). */
export const MAX_SCROLL_PX = 15_000_000;

/**
 * Stands in for the scroll element towards the virtualizer: it reports and accepts offsets in
 * virtual pixels (row index x row height) and maps them onto the element's real, capped range.
 * While the list fits under the cap the scale is exactly 1 and this is a plain pass-through.
 */
export class ScaledScrollElement {
  constructor(
    readonly el: HTMLElement,
    /** The height the virtualizer lays out (row count x row height), read fresh on every use. */
    private readonly virtualHeight: () => number,
  ) {}

  get virtualSize(): number {
    return this.virtualHeight();
  }

  /** The height of the sizer element actually in the DOM. */
  get realSize(): number {
    return Math.min(this.virtualSize, MAX_SCROLL_PX);
  }

  /** Virtual pixels per real pixel of scrolling. */
  get scale(): number {
    const viewport = this.el.clientHeight;
    const real = this.realSize;
    if (this.virtualSize <= MAX_SCROLL_PX || real <= viewport) return 1;
    return (this.virtualSize - viewport) / (real - viewport);
  }

  get ownerDocument(): Document {
    return this.el.ownerDocument;
  }
  get style(): CSSStyleDeclaration {
    return this.el.style;
  }
  get clientHeight(): number {
    return this.el.clientHeight;
  }
  get clientWidth(): number {
    return this.el.clientWidth;
  }
  get scrollWidth(): number {
    return this.el.scrollWidth;
  }
  get scrollLeft(): number {
    return this.el.scrollLeft;
  }
  get scrollTop(): number {
    return this.el.scrollTop * this.scale;
  }
  get scrollHeight(): number {
    const s = this.scale;
    if (s === 1) return this.el.scrollHeight;
    return (this.el.scrollHeight - this.el.clientHeight) * s + this.el.clientHeight;
  }

  scrollTo(options: ScrollToOptions): void {
    const next: ScrollToOptions = { ...options };
    if (options.top !== undefined) next.top = options.top / this.scale;
    this.el.scrollTo(next);
  }

  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: AddEventListenerOptions | boolean) {
    this.el.addEventListener(type, listener, options);
  }
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: EventListenerOptions | boolean) {
    this.el.removeEventListener(type, listener, options);
  }

  /** Where a row that starts at virtual offset `start` sits inside the sizer, in real pixels. */
  realTop(start: number, virtualOffset: number): number {
    const s = this.scale;
    return s === 1 ? start : start - virtualOffset + virtualOffset / s;
  }
}

/** The virtualizer's default observer hands the element to ResizeObserver, which needs the real one. */
export function observeScaledRect(instance: Virtualizer<HTMLElement, HTMLElement>, cb: (rect: Rect) => void) {
  const scroller = instance.scrollElement as unknown as ScaledScrollElement | null;
  if (!scroller) return;
  const el = scroller.el;
  const report = () => cb({ width: el.clientWidth, height: el.clientHeight });
  report();
  const observer = new ResizeObserver(report);
  observer.observe(el);
  return () => observer.disconnect();
}
