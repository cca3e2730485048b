// The chat panel's few browser-only parts: relative times, the scrolled message list, the
// tab title's unread count and the notification for a mention. Python sends plain props;
// nothing here renders a message's text.
import { useEffect, useLayoutEffect, useRef, useState } from "react";

const UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
               ["hour", 3600], ["minute", 60]];
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const exact = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "medium" });

function describe(iso, now) {
  const seconds = (Date.parse(iso) - now) / 1000;
  if (Math.abs(seconds) < 45) return "just now";
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === "minute") {
      return relative.format(Math.round(seconds / size), unit);
    }
  }
  return "";
}

// "5 minutes ago", with the exact local time on hover; refreshed every 30 s.
export function RelativeTime({ iso }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30000);
    return () => clearInterval(timer);
  }, []);
  const when = Date.parse(iso);
  if (Number.isNaN(when)) return null;
  return (
    <time dateTime={iso} title={exact.format(when)} className="dtk-chat-time">
      {describe(iso, now)}
    </time>
  );
}

// The message list: stays at the bottom as messages arrive (unless the reader scrolled up)
// and asks for older ones when scrolled to the top.
export function ChatScroll({ onReachTop, className, children }) {
  const box = useRef(null);
  const pinned = useRef(true);
  const height = useRef(0);
  const asked = useRef([0, 0]);
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    if (pinned.current) el.scrollTop = el.scrollHeight;
    else if (el.scrollHeight > height.current && el.scrollTop < 40) {
      el.scrollTop += el.scrollHeight - height.current; // older ones were added above
    }
    height.current = el.scrollHeight;
  });
  const onScroll = () => {
    const el = box.current;
    pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    // one request at a time: the next once the older messages came (or 3 s passed)
    const [atHeight, at] = asked.current;
    if (el.scrollTop < 40 && onReachTop
        && (el.scrollHeight !== atHeight || Date.now() - at > 3000)) {
      asked.current = [el.scrollHeight, Date.now()];
      onReachTop();
    }
  };
  return <div ref={box} onScroll={onScroll} className={className}>{children}</div>;
}

// "(3) disTokoloshe" while 3 messages are unread.
export function TitleCount({ count, title }) {
  useEffect(() => {
    document.title = count > 0 ? `(${count}) ${title}` : title;
  }, [count, title]);
  return null;
}

function notify(text) {
  if (typeof Notification !== "undefined" && document.visibilityState === "hidden"
      && Notification.permission === "granted") {
    new Notification(text);
  }
}

// A notification while the tab is hidden, once notifications are allowed: for each room
// newly in `mentioned`, and, with `everyMessage`, for each message of someone else
// (`latestId` by `latestAuthor`) in the room this tab shows.
export function MentionAlert({ mentioned, text, everyMessage, latestId, latestAuthor, me,
                               messageText }) {
  const known = useRef(null);
  const latest = useRef(null);
  useEffect(() => {
    const before = latest.current;
    latest.current = latestId;
    if (before !== null && latestId > before && everyMessage && latestAuthor !== me) {
      notify(messageText);
    }
  }, [latestId]);
  useEffect(() => {
    const before = known.current;
    known.current = new Set(mentioned);
    if (before === null) return;
    if (mentioned.some((room) => !before.has(room))) notify(text);
  }, [mentioned]);
  return null;
}

// Asks the browser for permission to notify, until it has been asked.
export function NotifyButton({ label }) {
  const [permission, setPermission] = useState(
    () => (typeof Notification === "undefined" ? "unsupported" : Notification.permission));
  if (permission !== "default") return null;
  const request = () => Notification.requestPermission().then(setPermission);
  return <button type="button" className="dtk-notify-ask" onClick={request}>{label}</button>;
}
