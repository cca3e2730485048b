// A live meter of this user's own microphone as the voice gate hears it (dBFS), with a
// mark where the gate's threshold sits. Inside LiveKitRoom; it shows nothing measurable
// until the microphone's processing runs (the gate on, or RNNoise).
import React, { useEffect, useState } from "react";
import { useRoom } from "./context.js";

const FLOOR_DB = -80;
const percent = (db) => Math.max(0, Math.min(100, ((db - FLOOR_DB) / -FLOOR_DB) * 100));

export function OwnLevel({ ...rest }) {
  const { ownLevel } = useRoom("OwnLevel");
  const [reading, setReading] = useState({ levelDb: null, thresholdDb: null });
  useEffect(() => {
    if (!ownLevel) return undefined;
    const timer = window.setInterval(() => setReading({ ...ownLevel }), 100);
    return () => window.clearInterval(timer);
  }, [ownLevel]);
  const { levelDb, thresholdDb } = reading;
  const level = levelDb === null ? FLOOR_DB : Math.max(FLOOR_DB, levelDb);
  return (
    <div className="dtk-own-level">
      <meter min={FLOOR_DB} max={0} value={level} data-level-db={level.toFixed(1)}
        data-threshold-db={thresholdDb === null ? "" : thresholdDb.toFixed(1)} {...rest} />
      {thresholdDb !== null && (
        <span className="dtk-own-threshold" style={{ left: `${percent(thresholdDb)}%` }} />
      )}
    </div>
  );
}
