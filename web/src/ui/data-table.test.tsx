import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ConfirmButton, confirmThen } from './confirm-button';
import { DataTable } from './data-table';

const rows = [
  { id: 'a', name: 'Ada' },
  { id: 'b', name: 'Bo' },
];

describe('DataTable', () => {
  it('renders a scoped header per column and a cell per row, in order', () => {
    const html = renderToStaticMarkup(
      <DataTable
        label="People"
        rows={rows}
        rowKey={(row) => row.id}
        columns={[
          { header: '#', cell: (_row, index) => index + 1 },
          { header: 'Name', cell: (row) => row.name },
          { header: 'Actions', hiddenHeader: true, className: 'actions', cell: () => 'x' },
        ]}
      />,
    );
    expect(html).toContain('<table class="data" aria-label="People">');
    expect(html).toContain('<th scope="col">#</th><th scope="col">Name</th>');
    expect(html).toContain('<th scope="col"><span class="visually-hidden">Actions</span></th>');
    // Each cell names its column, for the stacked phone layout; the actions column needs none.
    expect(html).toContain(
      '<tr><td data-label="#">1</td><td data-label="Name">Ada</td><td class="actions">x</td></tr>',
    );
    expect(html.indexOf('Ada')).toBeLessThan(html.indexOf('Bo'));
  });

  it('adds a full-width detail row only where detail gives something', () => {
    const html = renderToStaticMarkup(
      <DataTable
        rows={rows}
        rowKey={(row) => row.id}
        detail={(row) => row.id === 'b' && <em>more about {row.name}</em>}
        columns={[
          { header: 'Name', cell: (row) => row.name },
          { header: 'Id', cell: (row) => row.id },
        ]}
      />,
    );
    expect(html.match(/colSpan|colspan/g)).toHaveLength(1);
    expect(html).toMatch(/<tr><td colSpan="2"><em>more about (<!-- -->)?Bo<\/em><\/td><\/tr>/);
  });
});

describe('ConfirmButton', () => {
  it('acts only when the question is answered yes', () => {
    const done: string[] = [];
    expect(
      confirmThen(
        'Revoke?',
        () => done.push('no'),
        () => false,
      ),
    ).toBe(false);
    expect(
      confirmThen(
        'Revoke?',
        () => done.push('yes'),
        () => true,
      ),
    ).toBe(true);
    expect(done).toEqual(['yes']);
  });

  it('is a danger button named for what it applies to', () => {
    const html = renderToStaticMarkup(
      <ConfirmButton question="Revoke?" onConfirm={() => undefined} label="Revoke key ci">
        Revoke
      </ConfirmButton>,
    );
    expect(html).toBe(
      '<button type="button" class="danger" aria-label="Revoke key ci">Revoke</button>',
    );
  });
});
