import { describe, expect, it } from 'vitest';
import type { PiiType } from './pii.js';
import { detectPii, redactPii } from './pii.js';

/*
 * Provider tokens are assembled at run time so the repository never contains a string that a
 * secret scanner (or a reader) would take for a leaked credential.
 */
const random36 = 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
const token = {
  awsAccessKey: 'AKIA' + 'Z7Q3XW9R2TYU4P8M',
  awsTemporaryKey: 'ASIA' + 'Z7Q3XW9R2TYU4P8M',
  openAi: 'sk-' + 'proj-' + random36 + 'xYz',
  openAiLegacy: 'sk-' + random36 + 'T3BlbkFJ',
  anthropic: 'sk-' + 'ant-api03-' + random36 + '_-AA',
  github: 'ghp' + '_' + random36,
  githubOauth: 'gho' + '_' + random36,
  githubFineGrained: 'github' + '_pat_' + '11ABCDEFG0' + random36 + '_' + random36,
  slack: 'xox' + 'b-1234567890-0987654321-' + random36.slice(0, 24),
  google: 'AIza' + 'Sy' + random36.slice(0, 33),
  stripe: 'sk' + '_live_' + random36.slice(0, 24),
  stripeRestricted: 'rk' + '_live_' + random36.slice(0, 24),
  // {"alg":"HS256","typ":"JWT"} . {"sub":"1234567890"} . signature
  jwt: ['eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9', 'eyJzdWIiOiIxMjM0NTY3ODkwIn0', random36].join('.'),
};
const privateKey = [
  '-----BEGIN RSA PRIVATE KEY-----',
  'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
  'VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK',
  '-----END RSA PRIVATE KEY-----',
].join('\n');

const positives: { name: string; text: string; type: PiiType; found: string; label?: string }[] = [
  {
    name: 'e-mail',
    text: 'Write to jane.doe+news@example.co.uk today',
    type: 'email',
    found: 'jane.doe+news@example.co.uk',
  },
  {
    name: 'e-mail with umlaut domain',
    text: 'an jörg@müller.de schicken',
    type: 'email',
    found: 'jörg@müller.de',
  },
  {
    name: 'international phone',
    text: 'Call +49 30 1234567.',
    type: 'phone',
    found: '+49 30 1234567',
  },
  {
    name: 'international phone, compact',
    text: 'Tel +41446681800',
    type: 'phone',
    found: '+41446681800',
  },
  {
    name: 'international phone, trunk zero',
    text: 'Tel. +49 (0)30 1234567',
    type: 'phone',
    found: '+49 (0)30 1234567',
  },
  {
    name: 'international phone, 00 prefix',
    text: 'Tel. 0044 20 7946 0958',
    type: 'phone',
    found: '0044 20 7946 0958',
  },
  {
    name: 'US phone with area code',
    text: 'Call (555) 123-4567 now',
    type: 'phone',
    found: '(555) 123-4567',
  },
  {
    name: 'US phone with dashes',
    text: 'Call 555-123-4567 now',
    type: 'phone',
    found: '555-123-4567',
  },
  { name: 'US toll-free', text: 'Dial 1-800-555-1234', type: 'phone', found: '1-800-555-1234' },
  {
    name: 'US phone in brackets',
    text: 'the office (+1 415 555 0100) is open',
    type: 'phone',
    found: '+1 415 555 0100',
  },
  { name: 'German landline', text: 'Ruf an: 030 12345678', type: 'phone', found: '030 12345678' },
  {
    name: 'German mobile with slash',
    text: 'Handy 0171/1234567',
    type: 'phone',
    found: '0171/1234567',
  },
  { name: 'UK landline', text: 'London 020 7946 0958', type: 'phone', found: '020 7946 0958' },
  { name: 'French pairs', text: 'Paris 01 23 45 67 89', type: 'phone', found: '01 23 45 67 89' },
  { name: 'French dotted', text: 'Paris 01.23.45.67.89', type: 'phone', found: '01.23.45.67.89' },
  {
    name: 'Visa',
    text: 'card 4111 1111 1111 1111 exp 12/27',
    type: 'card',
    found: '4111 1111 1111 1111',
    label: 'credit card number',
  },
  {
    name: 'Mastercard with dashes',
    text: 'card 5555-5555-5555-4444',
    type: 'card',
    found: '5555-5555-5555-4444',
  },
  {
    name: 'Mastercard 2-series',
    text: 'card 2223003122003222',
    type: 'card',
    found: '2223003122003222',
  },
  {
    name: 'Amex in 4-6-5 groups',
    text: 'Amex 3782 822463 10005.',
    type: 'card',
    found: '3782 822463 10005',
  },
  { name: 'Discover', text: 'Discover 6011111111111117', type: 'card', found: '6011111111111117' },
  {
    name: 'Diners 14 digits',
    text: 'Diners 30569309025904',
    type: 'card',
    found: '30569309025904',
  },
  { name: 'Visa 13 digits', text: 'old Visa 4222222222222', type: 'card', found: '4222222222222' },
  {
    name: 'card followed by a year',
    text: 'paid with 4111 1111 1111 1111 2027',
    type: 'card',
    found: '4111 1111 1111 1111',
  },
  {
    name: 'German IBAN, printed',
    text: 'IBAN: DE89 3704 0044 0532 0130 00, BIC',
    type: 'iban',
    found: 'DE89 3704 0044 0532 0130 00',
    label: 'IBAN',
  },
  {
    name: 'British IBAN, compact',
    text: 'to GB82WEST12345698765432 please',
    type: 'iban',
    found: 'GB82WEST12345698765432',
  },
  {
    name: 'French IBAN with a letter',
    text: 'FR14 2004 1010 0505 0001 3M02 606',
    type: 'iban',
    found: 'FR14 2004 1010 0505 0001 3M02 606',
  },
  { name: 'Dutch IBAN', text: 'NL91ABNA0417164300', type: 'iban', found: 'NL91ABNA0417164300' },
  {
    name: 'Swiss IBAN',
    text: 'CH93 0076 2011 6238 5295 7',
    type: 'iban',
    found: 'CH93 0076 2011 6238 5295 7',
  },
  {
    name: 'Austrian IBAN, lowercase',
    text: 'at61 1904 3002 3457 3201',
    type: 'iban',
    found: 'at61 1904 3002 3457 3201',
  },
  {
    name: 'AWS access key',
    text: `key ${token.awsAccessKey} in use`,
    type: 'secret',
    found: token.awsAccessKey,
    label: 'AWS access key',
  },
  {
    name: 'AWS temporary key',
    text: token.awsTemporaryKey,
    type: 'secret',
    found: token.awsTemporaryKey,
    label: 'AWS access key',
  },
  {
    name: 'OpenAI project key',
    text: `OPENAI_API_KEY=${token.openAi}`,
    type: 'secret',
    found: token.openAi,
    label: 'OpenAI API key',
  },
  {
    name: 'OpenAI legacy key',
    text: `use ${token.openAiLegacy}`,
    type: 'secret',
    found: token.openAiLegacy,
    label: 'OpenAI API key',
  },
  {
    name: 'Anthropic key',
    text: `key: ${token.anthropic}`,
    type: 'secret',
    found: token.anthropic,
    label: 'Anthropic API key',
  },
  {
    name: 'GitHub personal token',
    text: `token ${token.github}`,
    type: 'secret',
    found: token.github,
    label: 'GitHub token',
  },
  {
    name: 'GitHub OAuth token',
    text: token.githubOauth,
    type: 'secret',
    found: token.githubOauth,
    label: 'GitHub token',
  },
  {
    name: 'GitHub fine-grained token',
    text: token.githubFineGrained,
    type: 'secret',
    found: token.githubFineGrained,
    label: 'GitHub token',
  },
  {
    name: 'Slack bot token',
    text: `SLACK=${token.slack}`,
    type: 'secret',
    found: token.slack,
    label: 'Slack token',
  },
  {
    name: 'Google API key',
    text: `key=${token.google}&q=1`,
    type: 'secret',
    found: token.google,
    label: 'Google API key',
  },
  {
    name: 'Stripe live key',
    text: token.stripe,
    type: 'secret',
    found: token.stripe,
    label: 'Stripe secret key',
  },
  {
    name: 'Stripe restricted key',
    text: token.stripeRestricted,
    type: 'secret',
    found: token.stripeRestricted,
    label: 'Stripe secret key',
  },
  {
    name: 'JWT',
    text: `Authorization: Bearer ${token.jwt}`,
    type: 'secret',
    found: token.jwt,
    label: 'JSON Web Token',
  },
  {
    name: 'PEM private key',
    text: `key:\n${privateKey}\nend`,
    type: 'secret',
    found: privateKey,
    label: 'private key',
  },
  {
    name: 'password assignment',
    text: 'password=s3cr3tP@ssw0rd!',
    type: 'secret',
    found: 's3cr3tP@ssw0rd!',
    label: 'password',
  },
  {
    name: 'quoted API key',
    text: '{"api_key": "Xk9fT2mQ7wLpZr4v"}',
    type: 'secret',
    found: 'Xk9fT2mQ7wLpZr4v',
    label: 'API key',
  },
  {
    name: 'token with colon',
    text: 'token: q8Z2vN5rT1xW7yK3',
    type: 'secret',
    found: 'q8Z2vN5rT1xW7yK3',
    label: 'access token',
  },
  {
    name: 'AWS secret key',
    text: 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE',
    type: 'secret',
    found: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE',
    label: 'secret',
  },
  {
    name: 'password in a database URL',
    text: 'postgres://keel:hunter2@db.internal:5432/keel',
    type: 'secret',
    found: 'hunter2',
    label: 'password in URL',
  },
  {
    name: 'password in an https URL',
    text: 'https://bob:pa55word@example.com/x',
    type: 'secret',
    found: 'pa55word',
    label: 'password in URL',
  },
];

const negatives: { name: string; text: string }[] = [
  { name: 'ordinary prose', text: 'How do I roll back a policy to the version we ran last week?' },
  { name: 'German prose', text: 'Wie setze ich die Richtlinie auf die vorherige Version zurück?' },
  { name: 'ISO date and time', text: 'Deployed on 2024-01-15 at 12:30:45 UTC.' },
  { name: 'European dates', text: 'Am 15.01.2024 und am 01.02.2024 um 09:30 Uhr' },
  { name: 'US dates', text: 'Due 01/15/2024, then 12/31/2025' },
  { name: 'date and time with dashes', text: 'from 01-02-2024 12:30 to 03-04-2024 08:15' },
  {
    name: 'years and counts',
    text: 'Between 1999 and 2024 about 1 000 000 people moved; 12345 stayed.',
  },
  { name: 'version numbers', text: 'Upgrade from v1.2.3 to 10.15.7 or 0.12.3-beta' },
  { name: 'ISBN-13', text: 'ISBN 978-3-16-148410-0' },
  { name: 'ISBN-10', text: 'ISBN 0-306-40615-2' },
  { name: 'order number failing Luhn', text: 'Order 4111 1111 1111 1112 has shipped' },
  { name: 'long id failing Luhn', text: 'Reference 4000123412341231' },
  { name: 'millisecond timestamp passing Luhn', text: 'created at 1700000000004' },
  { name: 'Luhn-valid number outside card ranges', text: 'serial 9000000000000001' },
  { name: 'all zeros', text: 'card 0000 0000 0000 0000' },
  { name: 'digits inside an identifier', text: 'build abc4111111111111111 passed' },
  { name: 'decimal number', text: 'pi is 3.14159265358979323846 roughly' },
  { name: 'UUID', text: 'id 123e4567-e89b-12d3-a456-426614174000' },
  { name: 'git SHA', text: 'commit 3f786850e387550fdab836ed7e6dc881de23001b' },
  { name: 'IP address and port', text: 'listening on 192.168.100.200:8080' },
  { name: 'prices', text: 'costs €1,234.56 or $9,999.99' },
  { name: 'short numbers and times', text: 'Room 101, extension 1234, 3 + 4 = 7, at 7:45' },
  { name: 'standard reference', text: 'certified ISO 9001:2015 and DIN 5008' },
  { name: 'IBAN with a wrong check digit', text: 'DE89370400440532013001' },
  { name: 'IBAN of the wrong length', text: 'DE8937040044053201300' },
  { name: 'host without a domain', text: 'ssh root@localhost' },
  { name: 'mention handle', text: 'thanks @octocat' },
  {
    name: 'credential names without values',
    text: 'password: required, token: string, apiKey: undefined',
  },
  { name: 'credential read from the environment', text: 'apiKey: process.env.OPENAI_API_KEY' },
  { name: 'template placeholders', text: 'api_key = "<your-api-key>" and password=${DB_PASSWORD}' },
  { name: 'documentation placeholder', text: 'OPENAI_API_KEY=your_api_key_here' },
  { name: 'masked value', text: 'password: ********' },
  {
    name: 'paths and URLs beside credential names',
    text: 'PWD=/home/alice/projects token_url=https://auth.example.com/token',
  },
  {
    name: 'hyphenated words starting with sk-',
    text: 'scikit is sk-learn-the-library-for-classic-ml',
  },
  {
    name: 'URL without credentials',
    text: 'postgres://db.internal:5432/keel and https://example.com/a.b.c',
  },
  { name: 'URL with a placeholder password', text: 'postgres://user:${PASSWORD}@localhost/db' },
  { name: 'dotted words', text: 'see docs.example.com.cdn for keel.policy.version' },
  { name: 'redacted text', text: 'Mail [EMAIL], call [PHONE], password=[SECRET]' },
  { name: 'empty text', text: '' },
];

describe('detectPii', () => {
  it.each(positives)('finds a $type: $name', ({ text, type, found, label }) => {
    const findings = detectPii(text);
    expect(findings.map((finding) => text.slice(finding.start, finding.end))).toEqual([found]);
    expect(findings[0]!.type).toBe(type);
    if (label) expect(findings[0]!.label).toBe(label);
  });

  it.each(negatives)('reports nothing in $name', ({ text }) => {
    expect(detectPii(text)).toEqual([]);
  });

  it('returns non-overlapping findings sorted by position', () => {
    const text = `Call +49 30 1234567 or mail a@b.io; card 4111 1111 1111 1111; key ${token.github}`;
    const findings = detectPii(text);
    expect(findings.map((finding) => finding.type)).toEqual(['phone', 'email', 'card', 'secret']);
    for (let index = 1; index < findings.length; index++) {
      expect(findings[index]!.start).toBeGreaterThanOrEqual(findings[index - 1]!.end);
    }
  });

  it('prefers the URL password over the e-mail-like text around it', () => {
    const text = 'mysql://admin:Sup3rS3cret@db.example.com/app';
    expect(detectPii(text)).toEqual([
      { type: 'secret', start: 14, end: 25, label: 'password in URL' },
    ]);
  });

  it('labels a known token by its provider even inside a credential assignment', () => {
    expect(detectPii(`GITHUB_TOKEN="${token.github}"`).map((finding) => finding.label)).toEqual([
      'GitHub token',
    ]);
  });

  it('treats a PEM block cut off before its END line as a private key', () => {
    const truncated = privateKey.split('\n').slice(0, 3).join('\n');
    expect(detectPii(`here:\n${truncated}`)[0]).toMatchObject({
      type: 'secret',
      label: 'private key',
    });
  });
});

describe('redactPii', () => {
  it('replaces each finding with a placeholder naming its kind', () => {
    const text = `Mail jane@example.com, call 555-123-4567, pay 4111 1111 1111 1111 or DE89370400440532013000; key ${token.awsAccessKey}`;
    expect(redactPii(text, detectPii(text))).toBe(
      'Mail [EMAIL], call [PHONE], pay [CARD] or [IBAN]; key [SECRET]',
    );
  });

  it('keeps the name of a redacted credential so the text still reads', () => {
    const text = 'connect with password=s3cr3tP@ssw0rd! to postgres://app:hunter2@db/app';
    expect(redactPii(text, detectPii(text))).toBe(
      'connect with password=[SECRET] to postgres://app:[SECRET]@db/app',
    );
  });

  it('is stable: redacted text has nothing left to find', () => {
    const text = `jane@example.com +44 20 7946 0958 ${token.stripe}`;
    const redacted = redactPii(text, detectPii(text));
    expect(detectPii(redacted)).toEqual([]);
  });

  it('returns the text unchanged when there is nothing to redact', () => {
    expect(redactPii('nothing here', [])).toBe('nothing here');
  });

  it('accepts findings in any order and skips overlapping ones', () => {
    const text = 'a 555-123-4567 b';
    const findings = detectPii(text);
    expect(redactPii(text, [...findings, { ...findings[0]!, start: 4 }].reverse())).toBe(
      'a [PHONE] b',
    );
  });
});
