// Reads calendars (one file path per argument) with ical.js and prints one JSON line each:
// {"file", "ok", "error", "method", "uid", "sequence", "start", "tzid", "floating",
// "location", "url"}.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

for (const file of process.argv.slice(2)) {
  const result = { file, ok: false };
  try {
    const text = readFileSync(file, "utf8");
    ICAL.TimezoneService.reset(); // each file must bring its own zones
    const root = new ICAL.Component(ICAL.parse(text));
    for (const zone of root.getAllSubcomponents("vtimezone")) {
      ICAL.TimezoneService.register(new ICAL.Timezone(zone));
    }
    const vevent = root.getFirstSubcomponent("vevent");
    const event = new ICAL.Event(vevent);
    const start = event.startDate;
    result.method = root.getFirstPropertyValue("method");
    result.uid = event.uid;
    result.sequence = event.sequence;
    result.location = event.location;
    result.url = vevent.getFirstPropertyValue("url");
    result.tzid = start.zone ? start.zone.tzid : null;
    // A TZID without a VTIMEZONE silently becomes floating in this parser.
    result.floating = !start.zone || start.zone.tzid === "floating";
    result.start = start.toJSDate().toISOString();
    result.ok = true;
  } catch (error) {
    result.error = String(error);
  }
  console.log(JSON.stringify(result));
}
