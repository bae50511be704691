// The built-in offense types (GET /siem/offense_types): id, name, property_name, database_type,
// custom. The ids are those of a stock console, where `offense_type` 0 is "Source IP" and 3 is
// "Username" (the reference offense 15, whose offense_source is a user name, has type 3).

export interface OffenseType {
  property_name: string;
  database_type: 'COMMON' | 'EVENTS' | 'FLOWS';
  name: string;
  id: number;
  custom: boolean;
}

const builtIn: readonly [number, string, string, OffenseType['database_type']][] = [
  [0, 'Source IP', 'sourceIP', 'COMMON'],
  [1, 'Destination IP', 'destinationIP', 'COMMON'],
  [2, 'Event Name', 'qid', 'EVENTS'],
  [3, 'Username', 'userName', 'EVENTS'],
  [4, 'Source MAC Address', 'sourceMAC', 'EVENTS'],
  [5, 'Destination MAC Address', 'destinationMAC', 'EVENTS'],
  [6, 'Log Source', 'deviceId', 'EVENTS'],
  [7, 'Host Name', 'hostName', 'EVENTS'],
  [8, 'Source Port', 'sourcePort', 'COMMON'],
  [9, 'Destination Port', 'destinationPort', 'COMMON'],
  [10, 'Source IPv6', 'sourceIPv6', 'COMMON'],
  [11, 'Destination IPv6', 'destinationIPv6', 'COMMON'],
  [12, 'Source ASN', 'sourceASN', 'FLOWS'],
  [13, 'Destination ASN', 'destinationASN', 'FLOWS'],
  [14, 'Rule', 'rule', 'COMMON'],
  [15, 'App Id', 'appId', 'FLOWS'],
  [18, 'Scheduled Search', 'scheduledSearch', 'EVENTS'],
];

export const offenseTypes: readonly OffenseType[] = builtIn.map(([id, name, propertyName, databaseType]) => ({
  property_name: propertyName,
  database_type: databaseType,
  name,
  id,
  custom: false,
}));
