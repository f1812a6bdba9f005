// Emoji shortcodes (:fire:) drawn the way Slack's client draws them: as small pictures, so they show
// on any machine, with or without an emoji font. Each is a tiny SVG drawn for this demo (a 36×36
// canvas, flat colours), inlined as a data: URL, with its Unicode character as the alt text (what
// assistive technology reads, and what plain-text places such as <option> show). Every shortcode the
// app uses in its messages and views is here, plus the common ones people type; an unknown shortcode
// stays as typed, as in Slack.

import { h } from "./dom.js";

const FACE = '<circle cx="18" cy="18" r="16" fill="#FFCC4D"/>';
const EYES =
  '<ellipse cx="12" cy="13.5" rx="2.2" ry="3.2" fill="#664500"/><ellipse cx="24" cy="13.5" rx="2.2" ry="3.2" fill="#664500"/>';
const SQUARE = (fill) => `<rect x="2" y="2" width="32" height="32" rx="6" fill="${fill}"/>`;
const QUESTION = (colour) =>
  `<path d="M11.5 12.5a6.5 6.5 0 1 1 9.6 5.7c-2 1.1-3.1 2.4-3.1 4.8v1" fill="none" stroke="${colour}" stroke-width="4.5" stroke-linecap="round"/><circle cx="18" cy="30.5" r="2.8" fill="${colour}"/>`;
const BANG = (colour) =>
  `<path d="M18 5v17" stroke="${colour}" stroke-width="5.5" stroke-linecap="round"/><circle cx="18" cy="30" r="3.2" fill="${colour}"/>`;
const PERSON = (fill, dx = 0) =>
  `<circle cx="${18 + dx}" cy="11.5" r="7" fill="${fill}"/><path d="M${5 + dx} 34c0-8 5.8-13.5 13-13.5s13 5.5 13 13.5z" fill="${fill}"/>`;
const HOURGLASS =
  '<path d="M7 3.5h22M7 32.5h22" stroke="#C1694F" stroke-width="3.2" stroke-linecap="round"/>' +
  '<path d="M10 5h16c0 7.5-5.5 9-5.5 13s5.5 5.5 5.5 13H10c0-7.5 5.5-9 5.5-13S10 12.5 10 5z" fill="#E1E8ED" stroke="#99AAB5" stroke-width="1.3"/>';
const CALENDAR =
  '<rect x="3" y="5" width="30" height="28" rx="3.5" fill="#E1E8ED"/><path d="M3 8.5A3.5 3.5 0 0 1 6.5 5h23A3.5 3.5 0 0 1 33 8.5V14H3z" fill="#DD2E44"/>' +
  '<g fill="#8899A6"><rect x="7" y="18" width="4" height="3.5" rx=".8"/><rect x="13" y="18" width="4" height="3.5" rx=".8"/><rect x="19" y="18" width="4" height="3.5" rx=".8"/><rect x="25" y="18" width="4" height="3.5" rx=".8"/><rect x="7" y="24.5" width="4" height="3.5" rx=".8"/><rect x="13" y="24.5" width="4" height="3.5" rx=".8"/><rect x="19" y="24.5" width="4" height="3.5" rx=".8"/></g>' +
  '<rect x="9" y="2" width="3.2" height="8" rx="1.6" fill="#66757F"/><rect x="23.8" y="2" width="3.2" height="8" rx="1.6" fill="#66757F"/>';
const HAND =
  '<path d="M4 16h6v17H4z" fill="#4289C1"/><path d="M12 16.5 17.5 6c1.6-3 5.6-1.6 4.8 1.8L21 14h8.5a3 3 0 0 1 .6 6 3 3 0 0 1-.9 5.5 3 3 0 0 1-1 5A3 3 0 0 1 25 33H12z" fill="#FFDC5D" stroke="#E5A823" stroke-width="1"/>';
const STAR4 = (x, y, r) =>
  `<path d="M${x} ${y - r}l${r * 0.28} ${r * 0.72} ${r * 0.72} ${r * 0.28}-${r * 0.72} ${r * 0.28}-${r * 0.28} ${r * 0.72}-${r * 0.28}-${r * 0.72}-${r * 0.72}-${r * 0.28} ${r * 0.72}-${r * 0.28}z" fill="#FFAC33"/>`;
const ARROW_CIRCLE =
  '<path d="M26 13.5A9.5 9.5 0 0 0 10.2 11M10 22.5A9.5 9.5 0 0 0 25.8 25" fill="none" stroke="#fff" stroke-width="3.2" stroke-linecap="round"/>' +
  '<path d="M7.5 6.5v8h8zM28.5 29.5v-8h-8z" fill="#fff"/>';

// shortcode -> [Unicode, SVG body]
const DRAWN = {
  white_check_mark: [
    "\u2705",
    SQUARE("#77B255") +
      '<path d="M9.5 18.5 15 24 27 12" fill="none" stroke="#fff" stroke-width="4.2" stroke-linecap="round" stroke-linejoin="round"/>',
  ],
  heavy_check_mark: [
    "\u2714\ufe0f",
    '<path d="M5 19.5 13.5 28 31 8.5" fill="none" stroke="#31373D" stroke-width="5.5" stroke-linecap="round" stroke-linejoin="round"/>',
  ],
  ballot_box_with_check: [
    "\u2611\ufe0f",
    SQUARE("#8899A6") +
      '<path d="M9.5 18.5 15 24 27 12" fill="none" stroke="#fff" stroke-width="4.2" stroke-linecap="round" stroke-linejoin="round"/>',
  ],
  x: [
    "\u274c",
    '<path d="M8 8l20 20M28 8 8 28" stroke="#DD2E44" stroke-width="6.5" stroke-linecap="round"/>',
  ],
  warning: [
    "\u26a0\ufe0f",
    '<path d="M18 3.5 2 31.5h32z" fill="#FFCC4D" stroke="#FFCC4D" stroke-width="3" stroke-linejoin="round"/>' +
      '<path d="M18 12.5v9.5" stroke="#231F20" stroke-width="3.8" stroke-linecap="round"/><circle cx="18" cy="27" r="2.3" fill="#231F20"/>',
  ],
  no_entry: [
    "\u26d4",
    '<circle cx="18" cy="18" r="16" fill="#DD2E44"/><rect x="7" y="14.5" width="22" height="7" rx="1.5" fill="#fff"/>',
  ],
  no_entry_sign: [
    "\ud83d\udeab",
    '<circle cx="18" cy="18" r="13.5" fill="none" stroke="#DD2E44" stroke-width="4.5"/><path d="M8.5 8.5l19 19" stroke="#DD2E44" stroke-width="4.5"/>',
  ],
  information_source: [
    "\u2139\ufe0f",
    SQUARE("#3B88C3") +
      '<circle cx="18" cy="10" r="2.7" fill="#fff"/><path d="M18 16v12" stroke="#fff" stroke-width="4.4" stroke-linecap="round"/>',
  ],
  question: ["\u2753", QUESTION("#DD2E44")],
  grey_question: ["\u2754", QUESTION("#99AAB5")],
  exclamation: ["\u2757", BANG("#DD2E44")],
  heavy_exclamation_mark: ["\u2757", BANG("#DD2E44")],
  grey_exclamation: ["\u2755", BANG("#99AAB5")],
  pager: [
    "\ud83d\udcdf",
    '<rect x="3" y="8" width="30" height="21" rx="4" fill="#66757F"/><rect x="6" y="11" width="18" height="9" rx="1.5" fill="#A6D388"/>' +
      '<path d="M8.5 15.5h4m2 0h6" stroke="#3E721D" stroke-width="1.6" stroke-linecap="round"/><circle cx="28.5" cy="15.5" r="2" fill="#DD2E44"/>' +
      '<g fill="#CCD6DD"><rect x="7" y="23" width="5" height="3" rx="1"/><rect x="14" y="23" width="5" height="3" rx="1"/><rect x="21" y="23" width="5" height="3" rx="1"/></g>',
  ],
  link: [
    "\ud83d\udd17",
    '<g fill="none" stroke="#8899A6" stroke-width="4"><rect x="2.5" y="13" width="18" height="10" rx="5" transform="rotate(-45 11.5 18)"/><rect x="15.5" y="13" width="18" height="10" rx="5" transform="rotate(-45 24.5 18)"/></g>',
  ],
  leftwards_arrow_with_hook: [
    "\u21a9\ufe0f",
    SQUARE("#3B88C3") +
      '<path d="M13 13h8.5a6 6 0 0 1 0 12H16" fill="none" stroke="#fff" stroke-width="3.6" stroke-linecap="round"/><path d="M14.5 6.5 8 13l6.5 6.5z" fill="#fff"/>',
  ],
  arrows_counterclockwise: ["\ud83d\udd04", SQUARE("#3B88C3") + ARROW_CIRCLE],
  repeat: [
    "\ud83d\udd01",
    SQUARE("#3B88C3") +
      '<path d="M9 17v-2.5A3.5 3.5 0 0 1 12.5 11H24M27 19v2.5a3.5 3.5 0 0 1-3.5 3.5H12" fill="none" stroke="#fff" stroke-width="3.2" stroke-linecap="round"/>' +
      '<path d="M23 6.5 28 11l-5 4.5zM13 20.5 8 25l5 4.5z" fill="#fff"/>',
  ],
  arrow_right: [
    "\u27a1\ufe0f",
    SQUARE("#3B88C3") +
      '<path d="M8 18h17" stroke="#fff" stroke-width="4" stroke-linecap="round"/><path d="M19 10l9 8-9 8z" fill="#fff"/>',
  ],
  bust_in_silhouette: ["\ud83d\udc64", PERSON("#66757F")],
  busts_in_silhouette: ["\ud83d\udc65", PERSON("#99AAB5", 5) + PERSON("#66757F", -4)],
  zzz: [
    "\ud83d\udca4",
    '<g fill="none" stroke="#55ACEE" stroke-linecap="round" stroke-linejoin="round"><path d="M4 18h11L4 31h11" stroke-width="3.6"/><path d="M18 10h8l-8 9.5h8" stroke-width="3"/><path d="M27 3.5h5.5L27 10h5.5" stroke-width="2.4"/></g>',
  ],
  wrench: [
    "\ud83d\udd27",
    '<path d="M26.5 3.5a7.5 7.5 0 0 0-8 9.6L4.7 26.9a3 3 0 0 0 4.4 4.4l13.8-13.8a7.5 7.5 0 0 0 9.6-8l-4.4 4.4-4.2-1.3-1.3-4.2z" fill="#8899A6"/>',
  ],
  hourglass: [
    "\u231b",
    HOURGLASS + '<path d="M11.3 30.5c.6-3.5 4.3-5 6.7-5s6.1 1.5 6.7 5z" fill="#FFAC33"/>',
  ],
  hourglass_flowing_sand: [
    "\u23f3",
    HOURGLASS +
      '<path d="M12.8 9.5h10.4c-1.3 3-4 4.5-5.2 4.5s-3.9-1.5-5.2-4.5z" fill="#FFAC33"/><path d="M18 14v12" stroke="#FFAC33" stroke-width="1.3"/><path d="M13.5 30.5c.8-2.3 2.8-3.3 4.5-3.3s3.7 1 4.5 3.3z" fill="#FFAC33"/>',
  ],
  palm_tree: [
    "\ud83c\udf34",
    '<path d="M17 15c1 6 .5 13-2 19h5c1.5-6 1.5-13 0-19z" fill="#C1694F"/>' +
      '<path d="M18 15C14 8 7 7 2 11c5-1 9 0 13 4zM18 15c4-7 11-8 16-4-5-1-9 0-13 4zM18 15c-5-2-11 1-13 7 4-4 8-5 13-5zM18 15c5-2 11 1 13 7-4-4-8-5-13-5zM18 15c-1-5 1-10 5-12-2 4-3 8-3 12z" fill="#77B255"/>',
  ],
  raising_hand: [
    "\ud83d\ude4b",
    '<path d="M4 34c0-8 5.5-13 13-13s13 5 13 13z" fill="#9266CC"/><circle cx="17" cy="13" r="7" fill="#FFDC5D"/>' +
      '<path d="M10 12.5c0-5 3-8 7-8s7 3 7 8c-2-3-4.5-4-7-4s-5 1-7 4z" fill="#FFAC33"/>' +
      '<path d="M27 22l3-15" stroke="#FFDC5D" stroke-width="4.5" stroke-linecap="round"/><circle cx="30.5" cy="5.5" r="3.3" fill="#FFDC5D"/>',
  ],
  speech_balloon: [
    "\ud83d\udcac",
    '<path d="M18 4C9 4 3 9.5 3 16c0 3.7 2 7 5.2 9.2L7 32l7.5-4.3c1.1.2 2.3.3 3.5.3 9 0 15-5.5 15-12S27 4 18 4z" fill="#CCD6DD"/>',
  ],
  face_with_thermometer: [
    "\ud83e\udd12",
    FACE +
      EYES +
      '<path d="M12 25.5c3.5 2 8.5 2 12 0" fill="none" stroke="#664500" stroke-width="2" stroke-linecap="round"/>' +
      '<path d="M22 29 33 18" stroke="#CCD6DD" stroke-width="4.5" stroke-linecap="round"/><path d="M22 29l4-4" stroke="#DD2E44" stroke-width="4.5" stroke-linecap="round"/>',
  ],
  airplane: [
    "\u2708\ufe0f",
    '<path d="M31.5 4.5c-1.5-1.5-4-1-5.5.5l-6 6-14-4-3 3 11 7-6 6-4.5-1L2 24.5l6 3 3 6 2.5-1.5-1-4.5 6-6 7 11 3-3-4-14 6-6c1.5-1.5 2-4 .5-5.5z" fill="#55ACEE"/>',
  ],
  calendar: ["\ud83d\udcc6", CALENDAR],
  date: ["\ud83d\udcc5", CALENDAR],
  spiral_calendar_pad: ["\ud83d\uddd3\ufe0f", CALENDAR],
  alarm_clock: [
    "\u23f0",
    '<path d="M3.5 10.5a6 6 0 0 1 8.5-6zM32.5 10.5a6 6 0 0 0-8.5-6z" fill="#DD2E44"/><path d="M9 33l3-4M27 33l-3-4" stroke="#66757F" stroke-width="2.5" stroke-linecap="round"/>' +
      '<circle cx="18" cy="19.5" r="12.5" fill="#DD2E44"/><circle cx="18" cy="19.5" r="9.5" fill="#fff"/><path d="M18 13v6.5l4.5 3" fill="none" stroke="#31373D" stroke-width="2.2" stroke-linecap="round"/>',
  ],
  rotating_light: [
    "\ud83d\udea8",
    '<path d="M18 2v4.5M5.5 7.5l3.3 3.3M30.5 7.5l-3.3 3.3" stroke="#FFAC33" stroke-width="2.6" stroke-linecap="round"/>' +
      '<rect x="5" y="27" width="26" height="6.5" rx="1.8" fill="#66757F"/><path d="M9 27v-7.5a9 9 0 0 1 18 0V27z" fill="#DD2E44"/><path d="M13.5 20a4.5 4.5 0 0 1 4.5-4.5" fill="none" stroke="#fff" stroke-width="2.2" stroke-linecap="round"/>',
  ],
  bell: [
    "\ud83d\udd14",
    '<path d="M18 3.5a2.2 2.2 0 0 1 2.2 2.2v1.4A10 10 0 0 1 28 17v7.5l3.5 4h-27l3.5-4V17a10 10 0 0 1 7.8-9.9V5.7A2.2 2.2 0 0 1 18 3.5z" fill="#FFAC33"/><circle cx="18" cy="31.5" r="3" fill="#F4900C"/>',
  ],
  lock: [
    "\ud83d\udd12",
    '<path d="M11 16.5v-4.5a7 7 0 0 1 14 0v4.5" fill="none" stroke="#99AAB5" stroke-width="3.6"/><rect x="6" y="15" width="24" height="18.5" rx="3.2" fill="#FFAC33"/>' +
      '<circle cx="18" cy="22.5" r="2.6" fill="#C1694F"/><rect x="16.9" y="23" width="2.2" height="5.5" rx="1" fill="#C1694F"/>',
  ],
  key: [
    "\ud83d\udd11",
    '<g transform="rotate(-45 18 18)" fill="#FFAC33"><circle cx="8.5" cy="18" r="7"/><rect x="13.5" y="16" width="20" height="4.2" rx="1"/><rect x="25.5" y="19" width="3.2" height="5.5" rx=".8"/><rect x="30" y="19" width="3.2" height="4" rx=".8"/></g><circle cx="9.6" cy="26.4" r="2.4" fill="#fff"/>',
  ],
  gear: [
    "\u2699\ufe0f",
    '<g fill="#8899A6">' +
      [0, 45, 90, 135, 180, 225, 270, 315]
        .map((a) => `<rect x="14.8" y="1.5" width="6.4" height="9" rx="1.6" transform="rotate(${a} 18 18)"/>`)
        .join("") +
      '<circle cx="18" cy="18" r="11.5"/></g><circle cx="18" cy="18" r="4.8" fill="#fff"/>',
  ],
  memo: [
    "\ud83d\udcdd",
    '<path d="M5.5 2.5h17l6 6v25h-23z" fill="#fff" stroke="#CCD6DD" stroke-width="1.5"/><path d="M9.5 11h13M9.5 16h13M9.5 21h8" stroke="#99AAB5" stroke-width="1.6" stroke-linecap="round"/>' +
      '<path d="M19.5 30.5 31 19l3.2 3.2-11.5 11.5-4.4 1.2z" fill="#FFAC33"/><path d="M31 19l1.6-1.6a2.3 2.3 0 0 1 3.2 3.2l-1.6 1.6z" fill="#EA596E"/>',
  ],
  eyes: [
    "\ud83d\udc40",
    '<ellipse cx="11" cy="18" rx="7.5" ry="11" fill="#fff" stroke="#31373D" stroke-width="1.6"/><ellipse cx="25" cy="18" rx="7.5" ry="11" fill="#fff" stroke="#31373D" stroke-width="1.6"/>' +
      '<circle cx="13.5" cy="21" r="3.6" fill="#31373D"/><circle cx="27.5" cy="21" r="3.6" fill="#31373D"/>',
  ],
  eye: [
    "\ud83d\udc41\ufe0f",
    '<path d="M2 18c5-8 10.5-10.5 16-10.5S29 10 34 18c-5 8-10.5 10.5-16 10.5S7 26 2 18z" fill="#fff" stroke="#31373D" stroke-width="1.6"/><circle cx="18" cy="18" r="6.5" fill="#55ACEE"/><circle cx="18" cy="18" r="3.2" fill="#31373D"/>',
  ],
  fire: [
    "\ud83d\udd25",
    '<path d="M18 1.5c2.5 6.5 11 10.5 11 20a11 11 0 0 1-22 0c0-4.5 2.2-7.8 4.5-9.8 0 3.2 1.2 5.4 3.2 6.5-1-6.5 1-12.5 3.3-16.7z" fill="#F4900C"/>' +
      '<path d="M18 16.5c1.2 3.3 5.5 5.5 5.5 10a5.5 5.5 0 0 1-11 0c0-3 1.8-4.6 3-6 0 1.7.6 2.8 1.7 3.3-.2-2.4.2-4.9.8-7.3z" fill="#FFCC4D"/>',
  ],
  tada: [
    "\ud83c\udf89",
    '<path d="M2.5 33.5 10 12l14 14z" fill="#FFAC33"/><path d="M10 12l14 14" stroke="#F4900C" stroke-width="2.2"/><path d="M6.5 22l7.5 7.5M8.5 16.5l11 11" stroke="#DD2E44" stroke-width="1.8"/>' +
      '<circle cx="22" cy="6" r="2" fill="#55ACEE"/><circle cx="30" cy="14" r="2" fill="#DD2E44"/><circle cx="28" cy="4.5" r="1.6" fill="#77B255"/><circle cx="32.5" cy="23" r="1.6" fill="#AA8DD8"/>' +
      '<path d="M15 8.5c1.5-2.5 4-3 5.5-5M27.5 20c2-1 4.5-.5 6-2" fill="none" stroke="#AA8DD8" stroke-width="1.8" stroke-linecap="round"/><path d="M19 15l8-8" stroke="#77B255" stroke-width="1.8" stroke-linecap="round"/>',
  ],
  sparkles: ["\u2728", STAR4(14, 15, 11) + STAR4(28, 26, 6) + STAR4(28.5, 7, 4.5)],
  star: [
    "\u2b50",
    '<path d="M18 2.5l4.6 9.8 10.7 1.3-7.9 7.3 2.1 10.6L18 26.3l-9.5 5.2 2.1-10.6-7.9-7.3 10.7-1.3z" fill="#FFAC33"/>',
  ],
  heart: [
    "\u2764\ufe0f",
    '<path d="M18 32.5S3 23 3 12.8A7.8 7.8 0 0 1 18 9.3a7.8 7.8 0 0 1 15 3.5C33 23 18 32.5 18 32.5z" fill="#DD2E44"/>',
  ],
  "+1": ["\ud83d\udc4d", HAND],
  "-1": ["\ud83d\udc4e", `<g transform="rotate(180 18 18)">${HAND}</g>`],
  wave: [
    "\ud83d\udc4b",
    '<g transform="rotate(-20 18 20)"><path d="M10 33a9 9 0 0 1-3-6.5V17a2 2 0 0 1 4 0v5V8.5a2.2 2.2 0 0 1 4.4 0V17V5.5a2.2 2.2 0 0 1 4.4 0V17V7.5a2.2 2.2 0 0 1 4.4 0V19v-6a2.2 2.2 0 0 1 4.4 0v11.5A9 9 0 0 1 19.6 33z" fill="#FFDC5D" stroke="#E5A823" stroke-width="1"/></g>' +
      '<path d="M2.5 9.5c.5-3 2.5-5 5.5-5.5M30 28.5c3-.5 4.5-2.5 5-5" fill="none" stroke="#55ACEE" stroke-width="1.8" stroke-linecap="round"/>',
  ],
  smile: [
    "\ud83d\ude04",
    FACE +
      EYES +
      '<path d="M8.5 19.5h19a9.5 9.5 0 0 1-19 0z" fill="#664500"/><path d="M11 20.5h14a3.5 2 0 0 1-14 0z" fill="#fff"/>',
  ],
  grinning: [
    "\ud83d\ude00",
    FACE +
      EYES +
      '<path d="M8 20h20a10 9 0 0 1-20 0z" fill="#664500"/><path d="M10 20.5h16v2.5H10z" fill="#fff"/>',
  ],
  slightly_smiling_face: [
    "\ud83d\ude42",
    FACE +
      EYES +
      '<path d="M11 22.5c3.8 3.8 10.2 3.8 14 0" fill="none" stroke="#664500" stroke-width="2.4" stroke-linecap="round"/>',
  ],
  joy: [
    "\ud83d\ude02",
    FACE +
      '<path d="M8 13.5c1.5-2 5-2 6.5 0M21.5 13.5c1.5-2 5-2 6.5 0" fill="none" stroke="#664500" stroke-width="2.2" stroke-linecap="round"/>' +
      '<path d="M9 19.5h18a9 8.5 0 0 1-18 0z" fill="#664500"/><path d="M3.5 16c-1.5 3-2 6 .5 7.5s4.5-1.5 4-4.5zM32.5 16c1.5 3 2 6-.5 7.5s-4.5-1.5-4-4.5z" fill="#5DADEC"/>',
  ],
  thinking_face: [
    "\ud83e\udd14",
    FACE +
      EYES +
      '<path d="M13 24.5h9" stroke="#664500" stroke-width="2.4" stroke-linecap="round"/><path d="M8 35v-7c0-2 1.5-3 3-3h7a2 2 0 0 1 0 4h-4l5 1.5a2 2 0 0 1-1 3.8L13 34z" fill="#F4900C"/>',
  ],
  red_circle: ["\ud83d\udd34", '<circle cx="18" cy="18" r="15" fill="#DD2E44"/>'],
  large_green_circle: ["\ud83d\udfe2", '<circle cx="18" cy="18" r="15" fill="#78B159"/>'],
  large_blue_circle: ["\ud83d\udd35", '<circle cx="18" cy="18" r="15" fill="#55ACEE"/>'],
  large_yellow_circle: ["\ud83d\udfe1", '<circle cx="18" cy="18" r="15" fill="#FDCB58"/>'],
  robot_face: [
    "\ud83e\udd16",
    '<path d="M18 3v5" stroke="#66757F" stroke-width="2.2"/><circle cx="18" cy="3.5" r="2.2" fill="#DD2E44"/><rect x="4" y="8" width="28" height="24" rx="6" fill="#99AAB5"/>' +
      '<rect x="1" y="16" width="3.5" height="8" rx="1.5" fill="#66757F"/><rect x="31.5" y="16" width="3.5" height="8" rx="1.5" fill="#66757F"/>' +
      '<circle cx="12" cy="17" r="3.5" fill="#fff"/><circle cx="24" cy="17" r="3.5" fill="#fff"/><circle cx="12" cy="17" r="1.7" fill="#31373D"/><circle cx="24" cy="17" r="1.7" fill="#31373D"/><rect x="10" y="24" width="16" height="3.5" rx="1.5" fill="#E1E8ED"/>',
  ],
  bulb: [
    "\ud83d\udca1",
    '<path d="M18 2a11 11 0 0 0-6.5 19.8c1 .8 1.5 2 1.5 3.2h10c0-1.2.5-2.4 1.5-3.2A11 11 0 0 0 18 2z" fill="#FFD983"/><rect x="12.5" y="25" width="11" height="7" rx="1.5" fill="#99AAB5"/><path d="M13 27.8h10" stroke="#66757F" stroke-width="1.2"/><path d="M15 32.5h6" stroke="#66757F" stroke-width="2.5" stroke-linecap="round"/>',
  ],
  rocket: [
    "\ud83d\ude80",
    '<path d="M7 22l-4 1 4-8 6-1zM14 29l-1 4 8-4 1-6z" fill="#DD2E44"/><path d="M9 27c-2 1-4 4-5 6 2-1 5-3 6-5z" fill="#FFAC33"/>' +
      '<path d="M33.5 2.5C24 2.5 15.5 9 10.5 19l6.5 6.5c10-5 16.5-13.5 16.5-23z" fill="#CCD6DD"/><circle cx="23.5" cy="12.5" r="3.3" fill="#55ACEE" stroke="#fff" stroke-width="1.5"/>',
  ],
  coffee: [
    "\u2615",
    '<path d="M12 3c-1 2 1 3 0 5M18 3c-1 2 1 3 0 5" fill="none" stroke="#99AAB5" stroke-width="1.6" stroke-linecap="round"/><path d="M25.5 16.5h2.5a4 4 0 0 1 0 8h-3" fill="none" stroke="#E1E8ED" stroke-width="2.6"/>' +
      '<path d="M5 12h22v10a9 9 0 0 1-9 9h-4a9 9 0 0 1-9-9z" fill="#E1E8ED"/><ellipse cx="16" cy="12.5" rx="10" ry="2" fill="#8A4B38"/><rect x="3" y="31" width="26" height="2.5" rx="1.2" fill="#CCD6DD"/>',
  ],
  sunny: [
    "\u2600\ufe0f",
    '<g stroke="#FFAC33" stroke-width="3" stroke-linecap="round">' +
      [0, 45, 90, 135, 180, 225, 270, 315]
        .map((a) => `<path d="M18 2v5" transform="rotate(${a} 18 18)"/>`)
        .join("") +
      '</g><circle cx="18" cy="18" r="8" fill="#FFAC33"/>',
  ],
  crescent_moon: ["\ud83c\udf19", '<path d="M22 3a15 15 0 1 0 11 24A13 13 0 0 1 22 3z" fill="#FFD983"/>'],
  clipboard: [
    "\ud83d\udccb",
    '<rect x="5" y="5" width="26" height="29" rx="3" fill="#C1694F"/><rect x="8" y="9" width="20" height="22" fill="#fff"/><rect x="12" y="2.5" width="12" height="6" rx="1.5" fill="#99AAB5"/><path d="M11 15h14M11 20h14M11 25h9" stroke="#99AAB5" stroke-width="1.6"/>',
  ],
};

const ALIASES = {
  thumbsup: "+1",
  thumbsdown: "-1",
  simple_smile: "slightly_smiling_face",
  light_bulb: "bulb",
  red_heart: "heart",
  green_circle: "large_green_circle",
  blue_circle: "large_blue_circle",
  yellow_circle: "large_yellow_circle",
  hourglass_done: "hourglass",
  calendar_spiral: "spiral_calendar_pad",
};

const SHORTCODE = /:([a-z0-9_+-]+):/g;
const urls = new Map();

/** The drawn emoji for a shortcode (without colons), or null. */
function lookup(name) {
  const found = DRAWN[name] ?? DRAWN[ALIASES[name]];
  return found ? { char: found[0], svg: found[1] } : null;
}

/** Every shortcode this page can draw, aliases included. */
export const SHORTCODES = [...Object.keys(DRAWN), ...Object.keys(ALIASES)];

function dataUrl(name, svg) {
  if (!urls.has(name))
    urls.set(
      name,
      `data:image/svg+xml,${encodeURIComponent(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36">${svg}</svg>`)}`,
    );
  return urls.get(name);
}

/** One emoji as a picture; alt is its Unicode character. */
export function emojiImage(name) {
  const emoji = lookup(name);
  if (!emoji) return document.createTextNode(`:${name}:`);
  return h("img", {
    class: "emoji",
    src: dataUrl(name, emoji.svg),
    alt: emoji.char,
    title: `:${name}:`,
    draggable: "false",
    dataset: { emoji: name },
  });
}

/** Text with known :shortcodes: as pictures (a DocumentFragment); unknown ones stay as typed. */
export function emojiNodes(text) {
  const frag = document.createDocumentFragment();
  let at = 0;
  for (const match of String(text).matchAll(SHORTCODE)) {
    if (!lookup(match[1])) continue;
    if (match.index > at) frag.append(text.slice(at, match.index));
    frag.append(emojiImage(match[1]));
    at = match.index + match[0].length;
  }
  if (at < String(text).length) frag.append(String(text).slice(at));
  return frag;
}

/** Text with known :shortcodes: as Unicode characters: for places that hold only text (<option>, title). */
export function emojiText(text) {
  return String(text).replace(SHORTCODE, (m, name) => lookup(name)?.char ?? m);
}
