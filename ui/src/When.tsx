// A time as every view shows one: short, with its long form on hover, in a <time> element.
import { BLANK, longDateTime, shortDateTime } from "./format";

/** A time, short, with its long form on hover; a blank when there is none. */
export function When({ at }: { at: string | null | undefined }) {
  if (!at) return <>{BLANK}</>;
  return (
    <time dateTime={at} title={longDateTime(at)}>
      {shortDateTime(at)}
    </time>
  );
}
