// Days as the user's browser counts them: "2026-11-23" for a date input, and
// the moment a day starts, which is what the API's period filters take.
export const isoDay = (moment) => moment.toLocaleDateString("sv-SE"); // YYYY-MM-DD in local time

export function dayStart(day, plus = 0) {
  const moment = new Date(`${day}T00:00:00`);
  moment.setDate(moment.getDate() + plus);
  return moment.toISOString();
}

// the last `days` days up to today: { from, to } as date-input values
export function lastDays(days) {
  const today = new Date();
  const first = new Date(today);
  first.setDate(today.getDate() - (days - 1));
  return { from: isoDay(first), to: isoDay(today) };
}
