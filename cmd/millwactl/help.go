package main

// This file holds millwactl's help in Spanish and English: the texts of the
// main commands and of the import's CSV format.

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// helpText is a command's short and long help and its flags' usage in one
// language; empty fields keep what the command was built with.
type helpText struct {
	short, long string
	flags       map[string]string
}

// spanishHelp is the Spanish help of the commands, by command path.
var spanishHelp = map[string]helpText{
	"millwactl": {
		short: "Cliente de línea de comandos de Millwa: importa lotes de fibra de alpaca y muestra los que se clasificaron distinto",
		flags: map[string]string{
			"server":    "dirección gRPC del servidor de Millwa, host:puerto [$" + envServer + "]",
			"key":       "clave de API; mejor en $" + envKey + ", pues los parámetros se ven en la lista de procesos [$" + envKey + "]",
			"plaintext": "conectarse sin TLS (por defecto sí para localhost y direcciones de bucle local; si no, TLS con las raíces del sistema)",
			"timeout":   "plazo de cada llamada al servidor",
			"lang":      "idioma de los mensajes y la ayuda, y de los errores del servidor: es (español) o en (English) [$" + envLang + "]",
			"help":      "muestra esta ayuda",
		},
	},
	"millwactl lots": {short: "Trabaja con los lotes de fibra de una asociación"},
	"millwactl lots import": {
		short: "Importa lotes desde un archivo CSV, un lote por fila",
		long:  importHelpES(),
		flags: map[string]string{
			"association":   "la asociación dueña de los lotes, associations/{id} o su id (obligatorio)",
			"batch":         "lotes por llamada a BatchCreateLots, de 1 a 500; al repetir una importación interrumpida use el mismo valor",
			"dry-run":       "revisa el archivo (y, con clave, sus códigos, socios y clasificadores en el servidor) y no envía nada",
			"skip-bad-rows": "importa las filas buenas aunque haya filas con errores, e informa de estas",
		},
	},
	"millwactl lots graded-differently": {
		short: "Lista los lotes cuyo grupo de mercado difiere del declarado",
		long: `Lista los lotes de la asociación cuyo grupo de calidad de mercado (el de la
clasificación de su medición) difiere del grupo declarado por el clasificador:
número de lote, grupo declarado, grupo de mercado y el motivo.`,
		flags: map[string]string{
			"association": "la asociación cuyos lotes se leen, associations/{id} o su id (obligatorio)",
		},
	},
}

// englishHelp keeps the help each command was built with (English), to
// restore it when --lang en follows a Spanish help in the same process.
var englishHelp = map[*cobra.Command]helpText{}

// localizeHelp puts the help of every command under root in l.
func localizeHelp(root *cobra.Command, l language) {
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		en, saved := englishHelp[c]
		if !saved {
			en = helpText{short: c.Short, long: c.Long, flags: map[string]string{}}
			for _, fs := range []*pflag.FlagSet{c.LocalNonPersistentFlags(), c.PersistentFlags()} {
				fs.VisitAll(func(f *pflag.Flag) { en.flags[f.Name] = f.Usage })
			}
			englishHelp[c] = en
		}
		text := en
		if es, ok := spanishHelp[c.CommandPath()]; ok && l == spanish {
			text = helpText{short: or(es.short, en.short), long: or(es.long, en.long), flags: es.flags}
		}
		c.Short, c.Long = text.short, text.long
		for name, usage := range en.flags {
			if f := c.Flags().Lookup(name); f != nil {
				f.Usage = or(text.flags[name], usage)
			}
			if f := c.PersistentFlags().Lookup(name); f != nil {
				f.Usage = or(text.flags[name], usage)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// importHelp is the long help of "lots import" in English: what it does
// and the CSV format (documented also at the top of csv.go).
func importHelp() string {
	var b strings.Builder
	b.WriteString(`Import lots of classified fibre from a CSV file into an association.

The whole file is read and checked first: every bad row is reported with its
line number and column, and nothing is sent while any row is bad (unless
--skip-bad-rows). With a key, codes, members and classifiers are checked
against the server too. Lots are then sent in batches (BatchCreateLots, all
or nothing per batch) with a progress bar, retrying when the connection or
the server fails for a while. Each lot created is printed by its resource
name and lot number, and then the lots whose market grade differs from the
declared one (see "lots graded-differently").

Interrupted? Run the same command again. Each batch's request_id is derived
from the SHA-256 of the file and the lines the batch spans, so batches that
were already created are replayed by the server, not created again. This
holds as long as the file and --batch do not change: never edit a partly
imported file; put new or corrected rows in a new file.

Exit status: 0 when every row was imported (or had been by an earlier run),
1 otherwise.

CSV format: UTF-8, comma-separated, header row required; column names in
English snake_case or Spanish (second name below), in any order; an unknown
column is an error. Decimals with a point, no thousands separators. Rows
whose every field is empty are skipped. Columns / Spanish name [Spanish
meaning]:

`)
	for _, c := range lotColumns {
		names := c.name
		if es := spanishColumnName(c.name); es != "" && es != c.name {
			names += " / " + es
		}
		b.WriteString("  " + names + "\n")
		b.WriteString(wrap(fmt.Sprintf("      [%s] %s", c.spanish, c.help), 80, "      "))
	}
	b.WriteString(`
Each row needs at least one contribution; each member appears at most once
and the contributions sum exactly to the net weight. Trailing pairs may be
left empty. Codes may be written in any case, with spaces or hyphens for
underscores ("light fawn" is LIGHT_FAWN); colours and quality groups also by
the standard's Spanish or English name or abbreviation ("Blanco", "LF",
"Gruesa"), accents and case aside. Members and classifiers may be named by
DNI. Resource names must be of the --association being imported.

Example:
  lot_number,campaign,breed,colour,declared_quality_group,classifier,net_weight_kg,ask_price_pen,collection_point,member_1,kg_1,member_2,kg_2
  L-001,2026,HUACAYA,WHITE,BABY,0192f0c4-…,46,22.50,Centro de acopio Ichu,0192f0c5-…,30,41234567,16`)
	return b.String()
}

// importHelpES is the long help of "lots import" in Spanish.
func importHelpES() string {
	var b strings.Builder
	b.WriteString(`Importa lotes de fibra clasificada desde un archivo CSV a una asociación.

Primero se lee y revisa todo el archivo: cada fila con errores se informa con
su número de línea y columna, y no se envía nada mientras haya filas con
errores (salvo con --skip-bad-rows). Con una clave, también se revisan en el
servidor los códigos, socios y clasificadores. Luego los lotes se envían por
tandas (BatchCreateLots, todo o nada por tanda) con una barra de avance,
reintentando si la conexión o el servidor fallan un rato. Se muestra cada
lote creado, con su nombre de recurso y número de lote, y luego los lotes
cuyo grupo de mercado difiere del declarado (ver "lots graded-differently").

¿Se interrumpió? Ejecute el mismo comando otra vez. El request_id de cada
tanda sale del SHA-256 del archivo y de las líneas que abarca, así que las
tandas ya creadas el servidor las repite, no las crea de nuevo, siempre que
el archivo y --batch no cambien: nunca edite un archivo importado en parte;
ponga las filas nuevas o corregidas en un archivo nuevo.

Código de salida: 0 si se importaron todas las filas (ahora o antes), 1 si no.

Formato CSV: UTF-8, separado por comas, con fila de encabezado; nombres de
columna en castellano (primer nombre abajo) o en inglés, en cualquier orden,
con o sin tildes; una columna desconocida es un error. Decimales con punto,
sin separador de miles. Se omiten las filas vacías. Columnas / nombre en
inglés:

`)
	for _, c := range lotColumns {
		names := c.name
		if es := spanishColumnName(c.name); es != "" && es != c.name {
			names = es + " / " + c.name
		}
		b.WriteString("  " + names + "\n")
		b.WriteString(wrap("      "+c.helpES, 80, "      "))
	}
	b.WriteString(`
Cada fila necesita al menos un aporte; cada socio aparece una vez como
máximo y los aportes suman exactamente el peso neto. Los pares finales
pueden quedar vacíos. Los códigos se escriben en mayúsculas o minúsculas,
con espacios o guiones en lugar de "_" ("light fawn" es LIGHT_FAWN); los
colores y grupos de calidad también con el nombre en castellano o inglés de
la norma o su abreviatura ("Blanco", "LF", "Gruesa"), con o sin tildes. Los
socios y clasificadores pueden nombrarse por su DNI. Los nombres de recurso
deben ser de la asociación de --association.

Ejemplo:
  numero_lote,campana,raza,color,grupo,clasificador,peso_neto_kg,precio_soles,centro_acopio,socio_1,kg_1,socio_2,kg_2
  L-001,2026,Huacaya,Blanco,Baby,41234560,46,22.50,Centro de acopio Ichu,41234561,30,41234567,16`)
	return b.String()
}
