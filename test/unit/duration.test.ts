import * as v from 'valibot';
import { formatDuration, parseDuration } from '../../lambda/domain/duration';
import { durationSchema } from '../../lambda/domain/validation';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
    ['1d2h3m4s', 93_784_000],
    ['0s', 0],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '15', 'm', '1.5h', '-1h', '2 h', '1w', '30m2h', '15M', ' 15m'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [90_000, '1m30s'],
    [7_200_000, '2h'],
    [604_800_000, '7d'],
    [0, '0s'],
  ])('writes %i ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('writes what parseDuration reads back', () => {
    for (const ms of [1000, 61_000, 3_601_000, 90_061_000])
      expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});

describe('durationSchema', () => {
  const schema = durationSchema(7 * 86_400_000);
  const message = (input: unknown) => {
    const result = v.safeParse(schema, input);
    return result.success ? undefined : result.issues[0].message;
  };

  it('takes a duration within its bounds', () => {
    expect(message('2h')).toBeUndefined();
    expect(message('7d')).toBeUndefined();
  });

  it.each([
    ['0m', 'must be longer than 0'],
    ['7d1s', 'must be at most 7d'],
    ['2 hours', 'must be a duration such as "90s", "15m", "2h" or "7d"'],
    ['30m2h', 'largest unit first'],
    [120, 'must be a duration such as "90s", "15m", "2h" or "7d"'],
  ])('refuses %j: %s', (input, expected) => {
    expect(message(input)).toContain(expected);
  });
});
