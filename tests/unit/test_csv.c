/* test_csv.c -- the CSV reader: what it accepts, and that every rejection
 * names the file, the line and the field.  Input files are written at run
 * time into a fresh temporary directory, so each case shows its bytes. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cp_csv.h"

/* Criterion runs each test in its own process, so this is per test. */
static char tmp_dir[64];

static void make_tmp_dir(void)
{
    strcpy(tmp_dir, "/tmp/cp_csv_test_XXXXXX");
    cr_assert_not_null(mkdtemp(tmp_dir), "mkdtemp: %s", strerror(errno));
}

static void remove_tmp_dir(void)
{
    DIR *d = opendir(tmp_dir);
    if (!d)
        return;
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", tmp_dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(tmp_dir);
}

TestSuite(csv, .init = make_tmp_dir, .fini = remove_tmp_dir);

/* Writes len bytes (NULs allowed) to tmp_dir/name; returns the path. */
static const char *write_bytes(const char *name, const char *bytes, size_t len)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "fopen %s: %s", path, strerror(errno));
    cr_assert_eq(fwrite(bytes, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
    return path;
}

static const char *write_file(const char *name, const char *text)
{
    return write_bytes(name, text, strlen(text));
}

/* Reads text that must parse; the caller frees the table. */
static cp_table read_ok(const char *name, const char *text)
{
    cp_table t;
    cp_err err;
    cp_err_clear(&err);
    const char *path = write_file(name, text);
    int rc = cp_table_read(path, &t, &err);
    cr_assert_eq(rc, CP_OK, "reading %s failed: %s", name, err.msg);
    return t;
}

/* Reads bytes that must be rejected; returns the error. */
static cp_err read_bad_bytes(const char *name, const char *bytes, size_t len, int code)
{
    cp_table t;
    cp_err err;
    cp_err_clear(&err);
    const char *path = write_bytes(name, bytes, len);
    int rc = cp_table_read(path, &t, &err);
    cr_assert_eq(rc, code, "%s: expected code %d, got %d (%s)", name, code, rc, err.msg);
    cr_assert_eq(err.code, code);
    /* A failed read leaves nothing to free and nothing dangling. */
    cr_assert_null(t.path);
    cr_assert_null(t.header);
    cr_assert_null(t.cells);
    cr_assert_null(t.line);
    cr_assert_eq(t.n_rows, 0);
    cr_assert_eq(t.n_cols, 0);
    cp_table_free(&t);
    return err;
}

static cp_err read_bad(const char *name, const char *text)
{
    return read_bad_bytes(name, text, strlen(text), CP_EINVAL);
}

#define expect_has(err, needle)                                                                    \
    cr_expect_not_null(strstr((err).msg, (needle)), "message lacks \"%s\": %s", (needle), (err).msg)

#define expect_msg(err, expected) cr_expect_str_eq((err).msg, (expected))

/* The full message a reader error must read, built with the temp path. */
static const char *at(const char *name, const char *rest)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/%s%s", tmp_dir, name, rest);
    return buf;
}

/* ---- well-formed files --------------------------------------------------- */

Test(csv, normal_file)
{
    cp_table t = read_ok("nodes.csv", "node,kind,capacity\n"
                                      "tsmc_n3,fab,120\n"
                                      "asml,tool,55.5\n"
                                      "hbm,memory,-3\n");
    cr_assert_str_eq(t.path, at("nodes.csv", ""));
    cr_assert_eq(t.n_cols, 3);
    cr_assert_eq(t.n_rows, 3);
    cr_expect_str_eq(t.header[0], "node");
    cr_expect_str_eq(t.header[1], "kind");
    cr_expect_str_eq(t.header[2], "capacity");
    cr_expect_str_eq(cp_table_cell(&t, 0, 0), "tsmc_n3");
    cr_expect_str_eq(cp_table_cell(&t, 1, 1), "tool");
    cr_expect_str_eq(cp_table_cell(&t, 2, 2), "-3");
    cr_expect_eq(t.line[0], 2);
    cr_expect_eq(t.line[1], 3);
    cr_expect_eq(t.line[2], 4);
    cp_table_free(&t);
}

Test(csv, unquoted_spaces_and_tabs_trimmed_quoted_kept)
{
    cp_table t = read_ok("sp.csv", "a,b,c\n"
                                   "  x  ,\ty\t,\" z \"\n"
                                   "  \" q \"  , 1 2 ,\n");
    cr_assert_eq(t.n_rows, 2);
    cr_expect_str_eq(cp_table_cell(&t, 0, 0), "x");
    cr_expect_str_eq(cp_table_cell(&t, 0, 1), "y");
    cr_expect_str_eq(cp_table_cell(&t, 0, 2), " z ");
    cr_expect_str_eq(cp_table_cell(&t, 1, 0), " q ");
    cr_expect_str_eq(cp_table_cell(&t, 1, 1), "1 2");
    cr_expect_str_eq(cp_table_cell(&t, 1, 2), "");
    cp_table_free(&t);
}

Test(csv, header_names_trimmed_even_when_quoted)
{
    cp_table t = read_ok("h.csv", "  node ,\" kind \",\tcap\t\n1,2,3\n");
    cr_expect_str_eq(t.header[0], "node");
    cr_expect_str_eq(t.header[1], "kind");
    cr_expect_str_eq(t.header[2], "cap");
    cr_expect_eq(cp_table_column(&t, "kind"), 1);
    cp_table_free(&t);
}

Test(csv, empty_cells_are_empty_strings)
{
    cp_table t = read_ok("e.csv", "a,b,c\n,,\n\"\",\"\",\"\"\n");
    cr_assert_eq(t.n_rows, 2);
    for (size_t r = 0; r < 2; r++)
        for (int c = 0; c < 3; c++) {
            cr_assert_not_null(t.cells[r * 3 + (size_t)c]);
            cr_expect_str_eq(cp_table_cell(&t, r, c), "");
        }
    cp_table_free(&t);
}

Test(csv, quoted_commas_doubled_quotes_and_newlines)
{
    cp_table t = read_ok("q.csv", "name,note,value\n"        /* 1 */
                                  "a,\"x, y\",1\n"           /* 2 */
                                  "b,\"say \"\"hi\"\"\",2\n" /* 3 */
                                  "c,\"one\n"                /* 4 */
                                  "two\n"                    /* 5 */
                                  "\n"                       /* 6: blank, but quoted */
                                  "three\",3\n"              /* 7 */
                                  "d,\"\"\"\",4\n"           /* 8 */
                                  "e,last,5\n");             /* 9 */
    cr_assert_eq(t.n_rows, 5);
    cr_expect_str_eq(cp_table_cell(&t, 0, 1), "x, y");
    cr_expect_str_eq(cp_table_cell(&t, 1, 1), "say \"hi\"");
    cr_expect_str_eq(cp_table_cell(&t, 2, 1), "one\ntwo\n\nthree");
    cr_expect_str_eq(cp_table_cell(&t, 3, 1), "\"");
    cr_expect_str_eq(cp_table_cell(&t, 4, 0), "e");
    cr_expect_eq(t.line[0], 2);
    cr_expect_eq(t.line[1], 3);
    cr_expect_eq(t.line[2], 4);
    cr_expect_eq(t.line[3], 8);
    cr_expect_eq(t.line[4], 9);
    cp_table_free(&t);
}

Test(csv, multiline_quoted_field_not_first_in_record)
{
    /* The record's line is where it starts, not where the quote opens. */
    cp_table t = read_ok("m.csv", "a,b\n"
                                  "1,\"x\n"
                                  "y\"\n"
                                  "2,z\n");
    cr_assert_eq(t.n_rows, 2);
    cr_expect_eq(t.line[0], 2);
    cr_expect_eq(t.line[1], 4);
    cp_table_free(&t);
}

Test(csv, multiline_quoted_header)
{
    cp_table t = read_ok("mh.csv", "\"long\nname\",b\n1,2\n");
    cr_assert_eq(t.n_rows, 1);
    cr_expect_str_eq(t.header[0], "long\nname");
    cr_expect_eq(t.line[0], 3);
    cp_table_free(&t);
}

Test(csv, utf8_bom_skipped)
{
    cp_table t = read_ok("bom.csv", "\xEF\xBB\xBFnode,kind\nn1,fab\n");
    cr_assert_eq(t.n_rows, 1);
    cr_expect_str_eq(t.header[0], "node");
    cr_expect_eq(cp_table_column(&t, "node"), 0);
    cr_expect_eq(t.line[0], 2);
    cp_table_free(&t);
}

Test(csv, utf8_bom_before_quoted_header)
{
    cp_table t = read_ok("bomq.csv", "\xEF\xBB\xBF\"node\",kind\r\nn1,fab\r\n");
    cr_expect_str_eq(t.header[0], "node");
    cp_table_free(&t);
}

Test(csv, bom_in_a_later_line_is_data)
{
    /* Only a leading mark is an encoding signature. */
    cp_table t = read_ok("bom2.csv", "a\n\xEF\xBB\xBFx\n");
    cr_assert_eq(t.n_rows, 1);
    cr_expect_str_eq(cp_table_cell(&t, 0, 0), "\xEF\xBB\xBFx");
    cp_table_free(&t);
}

Test(csv, utf8_content_preserved)
{
    cp_table t = read_ok("u.csv", "name,city\nTSMC,\"Hsinchu, 新竹\"\nZeiss,Oberkochen ü\n");
    cr_assert_eq(t.n_rows, 2);
    cr_expect_str_eq(cp_table_cell(&t, 0, 1), "Hsinchu, 新竹");
    cr_expect_str_eq(cp_table_cell(&t, 1, 1), "Oberkochen ü");
    cp_table_free(&t);
}

Test(csv, crlf_line_endings)
{
    cp_table t = read_ok("crlf.csv", "a,b\r\n1,2\r\n\r\n3,4\r\n");
    cr_assert_eq(t.n_rows, 2);
    cr_expect_str_eq(t.header[1], "b");
    cr_expect_str_eq(cp_table_cell(&t, 0, 1), "2");
    cr_expect_str_eq(cp_table_cell(&t, 1, 1), "4");
    cr_expect_eq(t.line[0], 2);
    cr_expect_eq(t.line[1], 4);
    cp_table_free(&t);
}

Test(csv, crlf_inside_quoted_field_counts_one_line)
{
    cp_table t = read_ok("crlfq.csv", "a,b\r\n\"x\r\ny\",1\r\n2,3\r\n");
    cr_assert_eq(t.n_rows, 2);
    /* The field keeps its line break as written. */
    cr_expect_str_eq(cp_table_cell(&t, 0, 0), "x\r\ny");
    cr_expect_eq(t.line[0], 2);
    cr_expect_eq(t.line[1], 4);
    cp_table_free(&t);
}

Test(csv, cr_only_line_endings)
{
    cp_table t = read_ok("cr.csv", "a,b\r1,2\r\r3,4\r");
    cr_assert_eq(t.n_rows, 2);
    cr_expect_str_eq(cp_table_cell(&t, 0, 0), "1");
    cr_expect_str_eq(cp_table_cell(&t, 1, 1), "4");
    cr_expect_eq(t.line[0], 2);
    cr_expect_eq(t.line[1], 4);
    cp_table_free(&t);
}

Test(csv, cr_only_error_has_right_line)
{
    cp_err err = read_bad("cr_bad.csv", "a,b\r1,2\r3\r");
    expect_msg(err, at("cr_bad.csv", ":3: expected 2 fields (as in the header), found 1"));
}

Test(csv, mixed_line_endings)
{
    cp_table t = read_ok("mix.csv", "a,b\n1,2\r\n3,4\r5,6");
    cr_assert_eq(t.n_rows, 3);
    cr_expect_eq(t.line[0], 2);
    cr_expect_eq(t.line[1], 3);
    cr_expect_eq(t.line[2], 4);
    cr_expect_str_eq(cp_table_cell(&t, 2, 1), "6");
    cp_table_free(&t);
}

Test(csv, no_final_newline)
{
    cp_table t = read_ok("nonl.csv", "a,b\n1,2\n3,4");
    cr_assert_eq(t.n_rows, 2);
    cr_expect_str_eq(cp_table_cell(&t, 1, 1), "4");
    cr_expect_eq(t.line[1], 3);
    cp_table_free(&t);
}

Test(csv, no_final_newline_quoted_and_empty_last_field)
{
    cp_table t = read_ok("nonl2.csv", "a,b\n1,\"x\"");
    cr_assert_eq(t.n_rows, 1);
    cr_expect_str_eq(cp_table_cell(&t, 0, 1), "x");
    cp_table_free(&t);
    t = read_ok("nonl3.csv", "a,b\r\n1,");
    cr_assert_eq(t.n_rows, 1);
    cr_expect_str_eq(cp_table_cell(&t, 0, 1), "");
    cp_table_free(&t);
}

Test(csv, blank_lines_skipped_line_numbers_kept)
{
    cp_table t = read_ok("blank.csv", "\n"         /* 1 */
                                      "  \n"       /* 2 */
                                      "a,b\n"      /* 3 */
                                      "1,2\n"      /* 4 */
                                      "\n"         /* 5 */
                                      "\t \n"      /* 6 */
                                      "\n"         /* 7 */
                                      "3,4\n"      /* 8 */
                                      "\n\n  \n"); /* 9-11 */
    cr_assert_eq(t.n_rows, 2);
    cr_expect_str_eq(t.header[0], "a");
    cr_expect_eq(t.line[0], 4);
    cr_expect_eq(t.line[1], 8);
    cp_table_free(&t);
}

Test(csv, error_after_blank_lines_has_right_line)
{
    cp_err err = read_bad("blank_bad.csv", "a,b\n\n\n1,2\n\n3\n");
    expect_msg(err, at("blank_bad.csv", ":6: expected 2 fields (as in the header), found 1"));
}

Test(csv, single_column_blank_line_is_skipped_not_empty_value)
{
    /* libcsv cannot tell an empty one-column row from a blank line; a
     * quoted "" is how an empty value is written. */
    cp_table t = read_ok("one.csv", "x\n1\n\n\"\"\n2\n");
    cr_assert_eq(t.n_rows, 3);
    cr_expect_str_eq(cp_table_cell(&t, 1, 0), "");
    cr_expect_eq(t.line[1], 4);
    cr_expect_eq(t.line[2], 5);
    cp_table_free(&t);
}

Test(csv, header_only)
{
    cp_table t = read_ok("ho.csv", "a,b,c\n");
    cr_expect_eq(t.n_cols, 3);
    cr_expect_eq(t.n_rows, 0);
    cr_expect_eq(cp_table_column(&t, "c"), 2);
    cp_table_free(&t);
    t = read_ok("ho2.csv", "a,b,c");
    cr_expect_eq(t.n_cols, 3);
    cr_expect_eq(t.n_rows, 0);
    cp_table_free(&t);
    t = read_ok("ho3.csv", "a,b,c\r\n\r\n  \r\n");
    cr_expect_eq(t.n_rows, 0);
    cp_table_free(&t);
}

Test(csv, many_rows)
{
    size_t n = 20000;
    char *text = malloc(n * 32 + 16);
    cr_assert_not_null(text);
    size_t len = (size_t)sprintf(text, "i,sq\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "%zu,%zu\n", i, i * i);
    cp_table t = read_ok("big.csv", text);
    free(text);
    cr_assert_eq(t.n_rows, n);
    cr_expect_str_eq(cp_table_cell(&t, n - 1, 0), "19999");
    cr_expect_eq(t.line[n - 1], (long)n + 1);
    cp_table_free(&t);
}

Test(csv, long_fields_and_lines)
{
    size_t n = 100000;
    char *text = malloc(2 * n + 64);
    cr_assert_not_null(text);
    char *p = text + sprintf(text, "a,b\n\"");
    for (size_t i = 0; i < n; i++)
        *p++ = (i % 1000 == 999) ? '\n' : 'x';
    p += sprintf(p, "\",1\nend,2\n");
    cp_table t = read_ok("long.csv", text);
    free(text);
    cr_assert_eq(t.n_rows, 2);
    cr_expect_eq(strlen(cp_table_cell(&t, 0, 0)), n);
    cr_expect_eq(t.line[1], 2 + (long)(n / 1000) + 1);
    cp_table_free(&t);
}

/* ---- malformed files ----------------------------------------------------- */

Test(csv, too_few_fields)
{
    cp_err err = read_bad("few.csv", "a,b,c,d,e\n1,2,3,4,5\n1,2,3,4\n");
    cr_expect_eq(err.code, CP_EINVAL);
    expect_msg(err, at("few.csv", ":3: expected 5 fields (as in the header), found 4"));
}

Test(csv, too_many_fields_hints_at_quoting)
{
    cp_err err = read_bad("many.csv", "node,capacity\nfab,1,000\n");
    expect_has(err, at("many.csv", ":2: expected 2 fields (as in the header), found 3"));
    expect_has(err, "quoted");
}

Test(csv, wrong_count_reported_at_record_start)
{
    cp_err err = read_bad("span.csv", "a,b\n1,2\n\"x\ny\nz\"\n");
    expect_msg(err, at("span.csv", ":3: expected 2 fields (as in the header), found 1"));
}

Test(csv, wrong_count_in_last_line_without_newline)
{
    cp_err err = read_bad("last.csv", "a,b\n1,2\n3,4,5");
    expect_has(err, at("last.csv", ":3: expected 2 fields"));
    expect_has(err, "found 3");
}

Test(csv, unterminated_quote_names_opening_line)
{
    cp_err err = read_bad("unterm.csv", "a,b\n"
                                        "1,2\n"
                                        "3,\"oops\n"
                                        "4,5\n"
                                        "6,7\n");
    expect_msg(err, at("unterm.csv", ":5: unterminated quoted field (the quote opens on line 3)"));
}

Test(csv, unterminated_quote_in_first_field_without_newline)
{
    cp_err err = read_bad("unterm2.csv", "a,b\n1,2\n\"abc");
    expect_msg(err, at("unterm2.csv", ":3: unterminated quoted field (the quote opens on line 3)"));
}

Test(csv, unterminated_quote_in_header)
{
    cp_err err = read_bad("unterm3.csv", "a,\"b\n1,2\n");
    expect_has(err, "unterminated quoted field (the quote opens on line 1)");
}

Test(csv, unterminated_quote_after_doubled_quote)
{
    /* "" inside a quoted field is a literal quote, so this one stays open. */
    cp_err err = read_bad("unterm4.csv", "a\n\"x\"\"\n");
    expect_has(err, "unterminated quoted field (the quote opens on line 2)");
}

Test(csv, unterminated_quote_after_blank_lines)
{
    cp_err err = read_bad("unterm5.csv", "a,b\n1,2\n\n\n  \"x,y\n\n");
    expect_has(err, "unterminated quoted field (the quote opens on line 5)");
}

Test(csv, unterminated_quote_after_multiline_field_of_same_record)
{
    /* The record starts on line 2, its second field's quote on line 3. */
    cp_err err = read_bad("unterm6.csv", "a,b\n"
                                         "\"one\n"
                                         "two\",\"open\n"
                                         "more\n");
    expect_msg(err, at("unterm6.csv", ":4: unterminated quoted field (the quote opens on line 3)"));
}

Test(csv, malformed_quote_after_multiline_field_of_same_record)
{
    cp_err err = read_bad("mq5.csv", "a,b,c\n"
                                     "\"one\n"
                                     "two\",\"open\n"
                                     "x,\"y\"z\n");
    expect_has(err, at("mq5.csv", ":4: malformed quoted field"));
    expect_has(err, "opens on line 3");
}

Test(csv, quote_inside_unquoted_field)
{
    cp_err err = read_bad("mq.csv", "node,label\nn1,12\" wafer\n");
    expect_has(err, at("mq.csv", ":2: malformed quoted field"));
    expect_has(err, "column 2, 'label'");
}

Test(csv, text_after_closing_quote)
{
    cp_err err = read_bad("mq2.csv", "a,b\n1,2\n\"x\"y,3\n");
    expect_has(err, at("mq2.csv", ":3: malformed quoted field"));
    expect_has(err, "column 1, 'a'");
}

Test(csv, malformed_quote_in_header)
{
    cp_err err = read_bad("mq3.csv", "a,b\"c\n");
    expect_has(err, at("mq3.csv", ":1: malformed quoted field"));
    expect_has(err, "column 2");
}

Test(csv, malformed_quote_points_back_to_opening_quote)
{
    /* The quote left open on line 3 swallows line 4 up to its quote. */
    cp_err err = read_bad("mq4.csv", "a,b\n"
                                     "1,2\n"
                                     "3,\"open\n"
                                     "5,\"6\"\n");
    expect_has(err, at("mq4.csv", ":4: malformed quoted field"));
    expect_has(err, "opens on line 3");
}

Test(csv, duplicate_header_name)
{
    cp_err err = read_bad("dup.csv", "node,kind,node\n1,2,3\n");
    expect_has(err, at("dup.csv", ":1: header: duplicate column 'node'"));
    expect_has(err, "columns 1 and 3");
}

Test(csv, duplicate_header_name_after_trimming)
{
    cp_err err = read_bad("dup2.csv", "node, node \n1,2\n");
    expect_has(err, at("dup2.csv", ":1: header: duplicate column 'node'"));
}

Test(csv, empty_header_name)
{
    cp_err err = read_bad("noname.csv", "a,b,,d\n1,2,3,4\n");
    expect_msg(err, at("noname.csv", ":1: header: column 3 has no name"));
}

Test(csv, blank_quoted_header_name)
{
    cp_err err = read_bad("noname2.csv", "a,\"  \"\n1,2\n");
    expect_msg(err, at("noname2.csv", ":1: header: column 2 has no name"));
}

Test(csv, trailing_comma_in_header)
{
    cp_err err = read_bad("noname3.csv", "a,b,\n1,2,\n");
    expect_msg(err, at("noname3.csv", ":1: header: column 3 has no name"));
}

Test(csv, header_errors_name_its_line_after_blank_lines)
{
    cp_err err = read_bad("noname4.csv", "\n\n,a\n");
    expect_msg(err, at("noname4.csv", ":3: header: column 1 has no name"));
}

Test(csv, empty_file)
{
    cp_err err = read_bad("empty.csv", "");
    expect_msg(err, at("empty.csv", ": file is empty, expected a header line"));
}

Test(csv, blank_file_is_empty)
{
    cp_err err = read_bad("blank_only.csv", "\n \r\n\t\n");
    expect_msg(err, at("blank_only.csv", ": file is empty, expected a header line"));
}

Test(csv, bom_only_file_is_empty)
{
    cp_err err = read_bad("bom_only.csv", "\xEF\xBB\xBF");
    expect_msg(err, at("bom_only.csv", ": file is empty, expected a header line"));
}

Test(csv, utf16_rejected)
{
    static const char utf16[] = "\xFF\xFE"
                                "a\0,\0b\0\n\0";
    cp_err err = read_bad_bytes("u16.csv", utf16, sizeof utf16 - 1, CP_EINVAL);
    expect_has(err, at("u16.csv", ": file is UTF-16"));
}

Test(csv, nul_byte_rejected_with_line)
{
    static const char bytes[] = "a,b\n1,2\n3,x\0y\n";
    cp_err err = read_bad_bytes("nul.csv", bytes, sizeof bytes - 1, CP_EINVAL);
    expect_has(err, at("nul.csv", ":3: NUL byte"));
}

Test(csv, nul_byte_inside_quoted_field)
{
    static const char bytes[] = "a,b\n\"x\n\0\",2\n";
    cp_err err = read_bad_bytes("nul2.csv", bytes, sizeof bytes - 1, CP_EINVAL);
    expect_has(err, at("nul2.csv", ":3: NUL byte"));
}

Test(csv, missing_file)
{
    cp_table t;
    cp_err err;
    char path[600];
    snprintf(path, sizeof path, "%s/no_such.csv", tmp_dir);
    cr_assert_eq(cp_table_read(path, &t, &err), CP_EIO);
    cr_expect_eq(err.code, CP_EIO);
    expect_has(err, path);
    expect_has(err, strerror(ENOENT));
    cr_expect_null(t.path);
    cp_table_free(&t);
}

Test(csv, directory_is_io_error)
{
    cp_table t;
    cp_err err;
    cr_assert_eq(cp_table_read(tmp_dir, &t, &err), CP_EIO);
    expect_has(err, tmp_dir);
    expect_has(err, strerror(EISDIR));
    cp_table_free(&t);
}

Test(csv, failed_read_zeroes_a_dirty_table)
{
    cp_table t;
    memset(&t, 0xAB, sizeof t);
    cp_err err;
    const char *path = write_file("bad.csv", "a,b\n1\n");
    cr_assert_eq(cp_table_read(path, &t, &err), CP_EINVAL);
    cr_expect_null(t.header);
    cr_expect_eq(t.n_cols, 0);
    cp_table_free(&t);
}

Test(csv, null_arguments)
{
    cp_err err;
    cp_table t;
    cr_expect_eq(cp_table_read(NULL, &t, &err), CP_EINVAL);
    cr_expect_eq(cp_table_read("x.csv", NULL, &err), CP_EINVAL);
    cr_expect_eq(cp_table_column(NULL, "a"), -1);
}

/* ---- freeing --------------------------------------------------------------- */

Test(csv, free_zeroed_table_twice)
{
    cp_table t = {0};
    cp_table_free(&t);
    cp_table_free(&t);
    cp_table_free(NULL);
}

Test(csv, free_partially_filled_table)
{
    cp_table t = {0};
    t.path = strdup("p.csv");
    t.n_cols = 3;
    t.header = calloc(3, sizeof *t.header);
    t.header[0] = strdup("a");
    /* header[1], header[2] never filled; no rows, cells NULL. */
    cp_table_free(&t);
    cr_expect_null(t.header);
    cr_expect_eq(t.n_cols, 0);
}

Test(csv, free_after_read_resets)
{
    cp_table t = read_ok("f.csv", "a\n1\n");
    cp_table_free(&t);
    cr_expect_null(t.path);
    cr_expect_null(t.cells);
    cr_expect_eq(t.n_rows, 0);
    cp_table_free(&t);
}

/* ---- columns --------------------------------------------------------------- */

Test(csv, column_lookup)
{
    cp_table t = read_ok("col.csv", "node,kind,Capacity\nx,y,1\n");
    cr_expect_eq(cp_table_column(&t, "node"), 0);
    cr_expect_eq(cp_table_column(&t, "Capacity"), 2);
    cr_expect_eq(cp_table_column(&t, "capacity"), -1, "lookups are case-sensitive");
    cr_expect_eq(cp_table_column(&t, "nod"), -1);
    cr_expect_eq(cp_table_column(&t, ""), -1);
    cr_expect_eq(cp_table_column(&t, NULL), -1);
    cp_table zero = {0};
    cr_expect_eq(cp_table_column(&zero, "node"), -1);
    cp_table_free(&t);
}

Test(csv, require_all_present)
{
    cp_table t = read_ok("req.csv", "node,kind,capacity\nx,y,1\n");
    const char *const names[] = {"capacity", "node"};
    int idx[2] = {-7, -7};
    cp_err err;
    cr_assert_eq(cp_table_require(&t, names, 2, idx, &err), CP_OK);
    cr_expect_eq(idx[0], 2);
    cr_expect_eq(idx[1], 0);
    cp_table_free(&t);
}

Test(csv, require_missing_column)
{
    cp_table t = read_ok("req2.csv", "node,kind\nx,y\n");
    const char *const names[] = {"node", "capacity", "region"};
    int idx[3];
    cp_err err;
    cr_assert_eq(cp_table_require(&t, names, 3, idx, &err), CP_EINVAL);
    cr_expect_eq(err.code, CP_EINVAL);
    expect_has(err, at("req2.csv", ""));
    expect_has(err, "'capacity'");
    cr_expect_null(strstr(err.msg, "region"), "only the first missing column: %s", err.msg);
    expect_has(err, "node, kind");
    cr_expect_eq(idx[0], 0);
    cp_table_free(&t);
}

/* ---- numbers --------------------------------------------------------------- */

Test(csv, double_good)
{
    cp_table t = read_ok("num.csv", "v\n"
                                    "1\n"
                                    "-2.5e3\n"
                                    " 7 \n"
                                    "\" 7 \"\n"
                                    "\"\t-0.5\n\"\n"
                                    ".5\n"
                                    "+3.\n"
                                    "1E-2\n"
                                    "1e-400\n"
                                    "1.7976931348623157e308\n");
    const double want[] = {1, -2500, 7, 7, -0.5, 0.5, 3, 0.01, 0, 1.7976931348623157e308};
    cr_assert_eq(t.n_rows, sizeof want / sizeof want[0]);
    for (size_t r = 0; r < t.n_rows; r++) {
        cp_err err;
        double v = NAN;
        cr_expect_eq(cp_table_double(&t, r, 0, &v, &err), CP_OK, "row %zu: %s", r, err.msg);
        cr_expect_eq(v, want[r], "row %zu: %g != %g", r, v, want[r]);
    }
    cp_table_free(&t);
}

Test(csv, double_bad)
{
    static const struct {
        const char *text;   /* the cell as it appears after parsing */
        const char *expect; /* the message after "field 'mw': " */
    } cases[] = {
        {"", "'' is not a number"},
        {"abc", "'abc' is not a number"},
        {"1,000", "'1,000' is not a number"},
        {"12 MW", "'12 MW' is not a number"},
        {"12MW", "'12MW' is not a number"},
        {"1.5.2", "'1.5.2' is not a number"},
        {"1e", "'1e' is not a number"},
        {"--1", "'--1' is not a number"},
        {"1 000", "'1 000' is not a number"},
        {"0x10", "'0x10' is not a number"},
        {"0x1p3", "'0x1p3' is not a number"},
        {"-0X1P3", "'-0X1P3' is not a number"},
        {"nan", "'nan' is not a finite number"},
        {"NaN", "'NaN' is not a finite number"},
        {"-nan(123)", "'-nan(123)' is not a finite number"},
        {"inf", "'inf' is not a finite number"},
        {"INF", "'INF' is not a finite number"},
        {"-Infinity", "'-Infinity' is not a finite number"},
        {"1e999", "'1e999' is out of range"},
        {"-1e999", "'-1e999' is out of range"},
    };
    const size_t n = sizeof cases / sizeof cases[0];
    char text[2048];
    size_t len = (size_t)sprintf(text, "id,mw\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "r%zu,\"%s\"\n", i, cases[i].text);
    cp_table t = read_ok("bad_num.csv", text);
    cr_assert_eq(t.n_rows, n);
    for (size_t i = 0; i < n; i++) {
        cp_err err;
        double v = 42;
        char want[1024];
        cr_expect_eq(cp_table_double(&t, i, 1, &v, &err), CP_EINVAL, "'%s' accepted",
                     cases[i].text);
        cr_expect_eq(err.code, CP_EINVAL);
        cr_expect_eq(v, 42, "'%s': out written on failure", cases[i].text);
        snprintf(want, sizeof want, "%s/bad_num.csv:%zu: field 'mw': %s", tmp_dir, i + 2,
                 cases[i].expect);
        cr_expect_not_null(strstr(err.msg, want), "want \"%s\" in: %s", want, err.msg);
    }
    cp_table_free(&t);
}

Test(csv, double_error_uses_record_start_line)
{
    cp_table t = read_ok("num2.csv", "note,v\n\"multi\nline\",x\n");
    cr_assert_eq(t.n_rows, 1);
    cp_err err;
    double v;
    cr_assert_eq(cp_table_double(&t, 0, 1, &v, &err), CP_EINVAL);
    expect_msg(err, at("num2.csv", ":2: field 'v': 'x' is not a number"));
    cp_table_free(&t);
}

/* ---- caller-made errors ---------------------------------------------------- */

Test(csv, table_error_format)
{
    cp_table t = read_ok("te.csv", "node,kind\n\nn1,stok\n");
    cr_assert_eq(t.n_rows, 1);
    cp_err err;
    int rc = cp_table_error(&t, 0, 1, &err, CP_EINVAL, "unknown node kind '%s'",
                            cp_table_cell(&t, 0, 1));
    cr_expect_eq(rc, CP_EINVAL);
    cr_expect_eq(err.code, CP_EINVAL);
    expect_msg(err, at("te.csv", ":3: field 'kind': unknown node kind 'stok'"));
    cp_table_free(&t);
}

Test(csv, table_error_keeps_code)
{
    cp_table t = read_ok("te2.csv", "a\n1\n");
    cr_assert_eq(t.n_rows, 1);
    cp_err err;
    cr_expect_eq(cp_table_error(&t, 0, 0, &err, CP_EMODEL, "bad"), CP_EMODEL);
    cr_expect_eq(err.code, CP_EMODEL);
    cp_table_free(&t);
}

/* ---- issue 14: the point of a message survives --------------------------- */

Test(csv, other_delimiter_named_at_the_header)
{
    cp_err err = read_bad("semi.csv", "node;kind;region\na;supply;World\nb;convert;World\n");
    expect_msg(err, at("semi.csv", ":1: header: the columns are separated by ';', not by commas "
                                   "(save the file as comma-separated CSV)"));
    err = read_bad("tab.csv", "node\tkind\na\tsupply\n");
    expect_has(err, "tab.csv:1: header: the columns are separated by '\\t'");
}

Test(csv, overlong_field_keeps_the_explanation)
{
    static char text[8192];
    char *p = text + sprintf(text, "a,b\n1,");
    memset(p, '9', 5000);
    strcpy(p + 5000, "x\n");
    cp_table t = read_ok("long.csv", text);
    cp_err err;
    double v;
    cr_assert_eq(cp_table_double(&t, 0, 1, &v, &err), CP_EINVAL);
    expect_has(err, "long.csv:2: field 'b': '9999");
    expect_has(err, "[...]' is not a number");
    cp_table_free(&t);
}
