// Peru's departments by their two-digit INEI ubigeo code (the first two
// digits of a district's ubigeo), as INEI's Código de Ubicación Geográfica
// lists them. Proper names, the same in both languages.
export const DEPARTMENTS: Array<[string, string]> = [
  ["01", "Amazonas"],
  ["02", "Áncash"],
  ["03", "Apurímac"],
  ["04", "Arequipa"],
  ["05", "Ayacucho"],
  ["06", "Cajamarca"],
  ["07", "Callao"],
  ["08", "Cusco"],
  ["09", "Huancavelica"],
  ["10", "Huánuco"],
  ["11", "Ica"],
  ["12", "Junín"],
  ["13", "La Libertad"],
  ["14", "Lambayeque"],
  ["15", "Lima"],
  ["16", "Loreto"],
  ["17", "Madre de Dios"],
  ["18", "Moquegua"],
  ["19", "Pasco"],
  ["20", "Piura"],
  ["21", "Puno"],
  ["22", "San Martín"],
  ["23", "Tacna"],
  ["24", "Tumbes"],
  ["25", "Ucayali"],
];

/** regionOf names the department of a ubigeo code ("210101" → "Puno"). */
export function regionOf(ubigeo: string | undefined): string {
  const code = (ubigeo ?? "").slice(0, 2);
  return DEPARTMENTS.find(([c]) => c === code)?.[1] ?? code;
}
