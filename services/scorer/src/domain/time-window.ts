// Cron-like weekly windows for scheduled jobs: days of the week plus a start/end time of day in a
// fixed UTC offset. A window whose end is before its start runs past midnight; its day is the day
// it started on.

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface WeeklyWindow {
  /** Bit i set: the window opens on weekday i (0 = Sunday). */
  readonly dayMask: number;
  readonly startMinute: number;
  readonly endMinute: number;
  readonly utcOffsetMinutes: number;
}

/** "HH:MM" -> minute of day (0-1440); null when malformed. */
export function parseClock(text: string): number | null {
  const match = /^(\d{2}):(\d{2})$/.exec(text);
  if (match === null) return null;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  if (minutes > 59 || hours > 24 || (hours === 24 && minutes !== 0)) return null;
  return hours * 60 + minutes;
}

export function weeklyWindow(days: readonly Weekday[], start: string, end: string, utcOffsetMinutes: number): WeeklyWindow {
  let dayMask = 0;
  for (const day of days) dayMask |= 1 << WEEKDAYS.indexOf(day);
  return { dayMask, startMinute: parseClock(start) ?? 0, endMinute: parseClock(end) ?? 0, utcOffsetMinutes };
}

const opensOn = (window: WeeklyWindow, weekday: number): boolean => (window.dayMask & (1 << weekday)) !== 0;

/** Whether epoch-ms `at` falls inside the window. */
export function inWindow(window: WeeklyWindow, at: number): boolean {
  const local = at + window.utcOffsetMinutes * MINUTE_MS;
  const day = Math.floor(local / DAY_MS);
  const minute = Math.floor((local - day * DAY_MS) / MINUTE_MS);
  // 1970-01-01 was a Thursday (weekday 4).
  const weekday = (((day + 4) % 7) + 7) % 7;
  const { startMinute, endMinute } = window;
  if (startMinute <= endMinute) {
    return opensOn(window, weekday) && minute >= startMinute && minute < endMinute;
  }
  if (minute >= startMinute) return opensOn(window, weekday);
  return minute < endMinute && opensOn(window, (weekday + 6) % 7);
}
