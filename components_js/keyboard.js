// One window listener for every keyboard feature (shortcuts, push-to-talk), with one
// answer to "is the user typing?", so no two features disagree about a key press.
const TYPING_TAGS = new Set(["INPUT", "TEXTAREA", "SELECT"]);
const subscribers = new Set();

export function isTyping(event) {
  const target = event && event.target;
  return Boolean(target && (TYPING_TAGS.has(target.tagName) || target.isContentEditable));
}

// Each subscriber gets (event, typing) for keydown and keyup, and (event, false) on blur.
function dispatch(event) {
  const typing = event.type === "blur" ? false : isTyping(event);
  subscribers.forEach((subscriber) => subscriber(event, typing));
}

const EVENTS = ["keydown", "keyup", "blur"];

// Returns the function that unsubscribes.
export function subscribeKeys(subscriber) {
  if (subscribers.size === 0) EVENTS.forEach((name) => window.addEventListener(name, dispatch));
  subscribers.add(subscriber);
  return () => {
    subscribers.delete(subscriber);
    if (subscribers.size === 0) EVENTS.forEach((name) => window.removeEventListener(name, dispatch));
  };
}
