export interface ChartSeries {
  label: string;
  points: { at: string; value: number }[];
}

const WIDTH = 640;
const HEIGHT = 220;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };
const COLORS = ['#2563eb', '#db2777', '#16a34a', '#d97706', '#7c3aed', '#0891b2'];

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((candidate) => candidate * magnitude >= value) ?? 10;
  return step * magnitude;
}

/**
 * A small SVG line chart (no chart library: a few series over time is all the app draws). With
 * `span`, the time axis covers the whole chosen period, so usage on two days of 30 shows where in
 * the month it was, not stretched edge to edge.
 */
export function LineChart({
  series,
  title,
  format,
  span,
}: {
  series: ChartSeries[];
  title: string;
  format: (value: number) => string;
  span?: { from: string; to: string };
}) {
  const times = [...new Set(series.flatMap((line) => line.points.map((point) => point.at)))].sort();
  const max = niceMax(
    Math.max(0, ...series.flatMap((line) => line.points.map((point) => point.value))),
  );
  const innerWidth = WIDTH - PAD.left - PAD.right;
  const innerHeight = HEIGHT - PAD.top - PAD.bottom;
  const from = span ? Date.parse(span.from) : NaN;
  const to = span ? Date.parse(span.to) : NaN;
  const timed = Number.isFinite(from) && Number.isFinite(to) && to > from;
  const x = (at: string) =>
    PAD.left +
    (timed
      ? Math.min(1, Math.max(0, (Date.parse(at) - from) / (to - from))) * innerWidth
      : times.length <= 1
        ? innerWidth / 2
        : (times.indexOf(at) / (times.length - 1)) * innerWidth);
  const firstLabel = timed && span ? span.from : (times[0] ?? '');
  const lastLabel = timed && span ? span.to : (times[times.length - 1] ?? '');
  const y = (value: number) => PAD.top + innerHeight - (value / max) * innerHeight;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((fraction) => fraction * max);
  const label = (at: string) => at.slice(5, at.length > 10 ? 16 : 10).replace('T', ' ');

  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`${title}: ${series.length} series over ${times.length} periods`}
      >
        {ticks.map((tick) => (
          <g key={tick}>
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} className="grid" />
            <text x={PAD.left - 6} y={y(tick) + 4} textAnchor="end" className="axis">
              {format(tick)}
            </text>
          </g>
        ))}
        {times.length > 0 && (
          <>
            <text x={PAD.left} y={HEIGHT - 8} className="axis">
              {label(firstLabel)}
            </text>
            {(timed || times.length > 1) && (
              <text x={WIDTH - PAD.right} y={HEIGHT - 8} textAnchor="end" className="axis">
                {label(lastLabel)}
              </text>
            )}
          </>
        )}
        {series.map((line, index) => {
          const color = COLORS[index % COLORS.length];
          const path = line.points
            .map(
              (point, pointIndex) =>
                `${pointIndex === 0 ? 'M' : 'L'}${x(point.at).toFixed(1)},${y(point.value).toFixed(1)}`,
            )
            .join(' ');
          return (
            <g key={line.label}>
              <path d={path} fill="none" stroke={color} strokeWidth={2} />
              {line.points.map((point) => (
                <circle key={point.at} cx={x(point.at)} cy={y(point.value)} r={3} fill={color}>
                  <title>{`${line.label} ${label(point.at)}: ${format(point.value)}`}</title>
                </circle>
              ))}
            </g>
          );
        })}
      </svg>
      <figcaption>
        {title}
        <ul className="legend">
          {series.map((line, index) => (
            <li key={line.label}>
              <span
                className="swatch"
                style={{ background: COLORS[index % COLORS.length] }}
                aria-hidden="true"
              />
              {line.label}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
