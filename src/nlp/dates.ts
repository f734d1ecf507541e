/**
 * Date slot extraction from number-normalised tokens (see numbers.ts), returned as ISO
 * "YYYY-MM-DD". Understands "today", "tomorrow", weekdays ("next friday"), month-day with or
 * without a year ("january 5th", "the 5th of march 2026"), US numeric "1/5/2026" and ISO dates.
 *
 * Relative dates need a clock, which is injected so results are deterministic in tests.
 * Calls are about upcoming payments and appointments, so a date without a year, or a bare
 * weekday, means the next such date (never one in the past). Calendar maths is in UTC: the
 * engine does not know the caller's time zone.
 */

import { wordTable } from "../lib/word-table";

const MONTHS = wordTable({
  january: 1,
  jan: 1,
  february: 2,
  feb: 2,
  march: 3,
  mar: 3,
  april: 4,
  apr: 4,
  may: 5,
  june: 6,
  jun: 6,
  july: 7,
  jul: 7,
  august: 8,
  aug: 8,
  september: 9,
  sept: 9,
  sep: 9,
  october: 10,
  oct: 10,
  november: 11,
  nov: 11,
  december: 12,
  dec: 12,
});

const WEEKDAYS = wordTable({
  sunday: 0,
  monday: 1,
  tuesday: 2,
  wednesday: 3,
  thursday: 4,
  friday: 5,
  saturday: 6,
});

const DAY_MS = 86_400_000;

function utcMidnight(d: Date): number {
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** UTC timestamp for a real calendar date, or undefined for "february 30th". */
function calendarDate(year: number, month: number, day: number): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const ms = Date.UTC(year, month - 1, day);
  const d = new Date(ms);
  return d.getUTCMonth() === month - 1 && d.getUTCDate() === day ? ms : undefined;
}

/** A month-day without a year: this year's, or next year's if this year's has passed. */
function upcoming(month: number, day: number, today: number): number | undefined {
  const year = new Date(today).getUTCFullYear();
  const thisYear = calendarDate(year, month, day);
  if (thisYear !== undefined && thisYear >= today) return thisYear;
  return calendarDate(year + 1, month, day);
}

/** "5", "5th", "21st" → 5, 21; anything else → undefined. */
function dayNumber(token: string | undefined): number | undefined {
  const m = /^(\d{1,2})(?:st|nd|rd|th)?$/.exec(token ?? "");
  return m ? Number(m[1]) : undefined;
}

function yearNumber(token: string | undefined): number | undefined {
  return /^(19|20)\d{2}$/.test(token ?? "") ? Number(token) : undefined;
}

function fullYear(y: number): number {
  return y < 100 ? 2000 + y : y;
}

function numericDate(token: string, today: number): number | undefined {
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(token);
  if (m) return calendarDate(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{1,2})\/(\d{1,2})(?:\/(\d{2}|\d{4}))?$/.exec(token);
  if (!m) return undefined;
  const [month, day] = [Number(m[1]), Number(m[2])];
  return m[3] === undefined ? upcoming(month, day, today) : calendarDate(fullYear(Number(m[3])), month, day);
}

/** Month name with a day before ("5th of june") or after ("june 5th"), and an optional year after. */
function monthDayDate(tokens: readonly string[], i: number, today: number): number | undefined {
  const month = MONTHS.get(tokens[i] ?? "");
  if (month === undefined) return undefined;
  let day = dayNumber(tokens[i + 1]);
  let yearAt = i + 2;
  if (day === undefined) {
    const before = tokens[i - 1] === "of" ? tokens[i - 2] : tokens[i - 1];
    day = dayNumber(before);
    yearAt = i + 1;
  }
  if (day === undefined) return undefined;
  const year = yearNumber(tokens[yearAt]);
  return year === undefined ? upcoming(month, day, today) : calendarDate(year, month, day);
}

/** First date mentioned in `tokens`, as "YYYY-MM-DD". */
export function extractDate(tokens: readonly string[], now: Date): string | undefined {
  const today = utcMidnight(now);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? "";
    if (token === "today") return iso(today);
    if (token === "tomorrow") return iso(today + DAY_MS);
    const weekday = WEEKDAYS.get(token);
    if (weekday !== undefined) {
      const ahead = (weekday - new Date(today).getUTCDay() + 7) % 7 || 7;
      return iso(today + ahead * DAY_MS);
    }
    const found = numericDate(token, today) ?? monthDayDate(tokens, i, today);
    if (found !== undefined) return iso(found);
  }
  return undefined;
}
