/** Fake identities for synthetic documents. */
import type { Rng } from './prng.js';

const GIVEN = ['ANNA', 'MARIA', 'JOHN', 'DAVID', 'LI', 'WEI', 'FATIMA', 'AHMED', 'SOFIA', 'LUCAS', 'EMMA', 'NOAH', 'OLIVIA', 'LIAM', 'MIA', 'HANNAH', 'PIOTR', 'JAN', 'EVA', 'IVAN', 'OLGA', 'CARLOS', 'LUCIA', 'YUKI', 'HIROSHI', 'PRIYA', 'RAJ', 'AMARA', 'KWAME', 'CHLOE', 'MATEO', 'ELENA', 'JAMES', 'MICHAEL', 'SARAH', 'JESSICA', 'DANIEL', 'LAURA', 'PAUL', 'NINA'];
const SURNAMES = ['ERIKSSON', 'SMITH', 'JOHNSON', 'GARCIA', 'MARTINEZ', 'NGUYEN', 'KOWALSKI', 'NOVAK', 'MUELLER', 'SCHMIDT', 'ROSSI', 'DUBOIS', 'TANAKA', 'SATO', 'KIM', 'PARK', 'CHEN', 'WANG', 'SINGH', 'PATEL', 'OKAFOR', 'MENSAH', 'IVANOV', 'PETROVA', 'SILVA', 'SANTOS', 'HANSEN', 'JENSEN', 'BROWN', 'WILSON', 'TAYLOR', 'ANDERSON', 'LOPEZ', 'HERNANDEZ', 'MOORE', 'MARTIN', 'LEE', 'WALKER', 'HALL', 'YOUNG'];
export const COUNTRIES: readonly { code: string; name: string; nat: string }[] = [
  { code: 'UTO', name: 'UTOPIA', nat: 'UTOPIAN' },
  { code: 'D<<', name: 'BUNDESREPUBLIK DEUTSCHLAND', nat: 'DEUTSCH' },
  { code: 'FRA', name: 'RÉPUBLIQUE FRANÇAISE', nat: 'FRANÇAISE' },
  { code: 'GBR', name: 'UNITED KINGDOM', nat: 'BRITISH CITIZEN' },
  { code: 'USA', name: 'UNITED STATES OF AMERICA', nat: 'UNITED STATES' },
  { code: 'CAN', name: 'CANADA', nat: 'CANADIAN' },
  { code: 'NLD', name: 'KONINKRIJK DER NEDERLANDEN', nat: 'NEDERLANDSE' },
  { code: 'POL', name: 'RZECZPOSPOLITA POLSKA', nat: 'POLSKIE' },
  { code: 'CZE', name: 'ČESKÁ REPUBLIKA', nat: 'ČESKÁ REPUBLIKA' },
  { code: 'ESP', name: 'REINO DE ESPAÑA', nat: 'ESPAÑOLA' },
  { code: 'ITA', name: 'REPUBBLICA ITALIANA', nat: 'ITALIANA' },
  { code: 'SWE', name: 'SVERIGE', nat: 'SVENSK' },
  { code: 'UKR', name: 'UKRAINE', nat: 'UKRAINE' },
  { code: 'IND', name: 'REPUBLIC OF INDIA', nat: 'INDIAN' },
  { code: 'AUS', name: 'AUSTRALIA', nat: 'AUSTRALIAN' },
  { code: 'IRL', name: 'IRELAND', nat: 'IRISH' },
];
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const CITIES = ['ZENITH', 'BERLIN', 'PARIS', 'LONDON', 'NEW YORK', 'TORONTO', 'AMSTERDAM', 'WARSZAWA', 'PRAHA', 'MADRID', 'ROMA', 'STOCKHOLM', 'KYIV', 'MUMBAI', 'SYDNEY', 'DUBLIN', 'SPRINGFIELD', 'RIVERSIDE'];
const STREETS = ['MAIN ST', 'OAK AVE', 'ELM ST', 'PARK RD', 'HIGH ST', 'LAKE DR', 'HILL RD', 'MAPLE AVE', 'CEDAR LN', 'PINE ST'];

export interface Person {
  given: string;
  surname: string;
  sex: 'M' | 'F';
  birth: Date;
  issue: Date;
  expiry: Date;
  country: (typeof COUNTRIES)[number];
  city: string;
  docNumber: string;
  address: string;
}

export function randomPerson(rng: Rng): Person {
  const birth = new Date(Date.UTC(rng.int(1945, 2008), rng.int(0, 11), rng.int(1, 28)));
  const issue = new Date(Date.UTC(rng.int(2012, 2025), rng.int(0, 11), rng.int(1, 28)));
  const expiry = new Date(Date.UTC(issue.getUTCFullYear() + rng.pick([5, 10]), issue.getUTCMonth(), issue.getUTCDate()));
  const given = rng.bool(0.3) ? `${rng.pick(GIVEN)} ${rng.pick(GIVEN)}` : rng.pick(GIVEN);
  return {
    given,
    surname: rng.pick(SURNAMES),
    sex: rng.bool() ? 'M' : 'F',
    birth,
    issue,
    expiry,
    country: rng.pick(COUNTRIES),
    city: rng.pick(CITIES),
    docNumber: rng.letters(rng.int(1, 2)) + rng.digits(7 - 0) + (rng.bool(0.3) ? rng.letters(1) : ''),
    address: `${rng.int(1, 9999)} ${rng.pick(STREETS)}, ${rng.pick(CITIES)}`,
  };
}

export function yymmdd(d: Date): string {
  return `${String(d.getUTCFullYear() % 100).padStart(2, '0')}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}

export function fmtDate(rng: Rng, d: Date): string {
  const dd = String(d.getUTCDate()).padStart(2, '0');
  const mm = String(d.getUTCMonth() + 1).padStart(2, '0');
  const yyyy = String(d.getUTCFullYear());
  switch (rng.int(0, 3)) {
    case 0:
      return `${dd} ${MONTHS[d.getUTCMonth()]} ${yyyy}`;
    case 1:
      return `${dd}.${mm}.${yyyy}`;
    case 2:
      return `${mm}/${dd}/${yyyy}`;
    default:
      return `${dd}/${mm}/${yyyy}`;
  }
}
