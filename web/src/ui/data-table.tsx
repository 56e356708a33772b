import { Fragment, type ReactNode } from 'react';

/** One column: its header and how a row fills its cell. */
export interface Column<Row> {
  header: string;
  /** Read by screen readers only (an actions column needs no visible title). */
  hiddenHeader?: boolean;
  className?: string;
  cell: (row: Row, index: number) => ReactNode;
}

/**
 * The app's data table: on a phone each row stacks into a card whose cells carry their column's
 * name (`data-label`), so every cell and action button shows without sideways scrolling; headers
 * scoped to columns, and an optional full-width row under a row (a job's output, say).
 *
 * @example
 *   <DataTable rows={keys} rowKey={(key) => key.id}
 *     columns={[{ header: 'Name', cell: (key) => key.name }]} />
 */
export function DataTable<Row>({
  rows,
  columns,
  rowKey,
  label,
  detail,
}: {
  rows: readonly Row[];
  columns: readonly Column<Row>[];
  rowKey: (row: Row, index: number) => string;
  label?: string;
  detail?: (row: Row) => ReactNode;
}) {
  return (
    <div className="table-scroll">
      <table className="data" aria-label={label}>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column.header} scope="col">
                {column.hiddenHeader ? (
                  <span className="visually-hidden">{column.header}</span>
                ) : (
                  column.header
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => {
            const extra = detail?.(row);
            return (
              <Fragment key={rowKey(row, index)}>
                <tr>
                  {columns.map((column) => (
                    <td
                      key={column.header}
                      className={column.className}
                      data-label={column.hiddenHeader ? undefined : column.header}
                    >
                      {column.cell(row, index)}
                    </td>
                  ))}
                </tr>
                {extra !== undefined && extra !== null && extra !== false && (
                  <tr>
                    <td colSpan={columns.length}>{extra}</td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
