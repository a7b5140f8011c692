/* PNG plots with cairo: training curves (one run or several overlaid) and the reliability
 * diagram. A picture is drawn in memory, encoded to PNG in memory and written with
 * rlhf_write_file_atomic, so a reader never sees half a picture. */
#include "rlhf/report.h"

#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- geometry and style */

/* A panel's plot area and the cell around it: tick labels and the y label on the left,
 * the title above, tick labels and "step" below. */
#define PLOT_WIDTH 400
#define PLOT_HEIGHT 240
#define CELL_LEFT 86
#define CELL_RIGHT 22
#define CELL_TOP 34
#define CELL_BOTTOM 56
#define CELL_WIDTH (CELL_LEFT + PLOT_WIDTH + CELL_RIGHT)
#define CELL_HEIGHT (CELL_TOP + PLOT_HEIGHT + CELL_BOTTOM)
#define FIGURE_MARGIN 18
#define TITLE_HEIGHT 34
#define LEGEND_ROW 22
#define TICK_FONT 11.0
#define LABEL_FONT 12.0
#define TITLE_FONT 13.0
#define LEGEND_FONT 11.0

typedef struct colour {
    double red, green, blue;
} colour;

/* matplotlib's "tab10": one colour per run, in the order researchers know */
static const colour run_colours[REPORT_MAX_RUNS] = {
    {0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173}, {0.839, 0.153, 0.157},
    {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294}, {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498},
    {0.737, 0.741, 0.133}, {0.090, 0.745, 0.812},
};
static const colour ink = {0.13, 0.13, 0.13}, neutral_key = {0.33, 0.33, 0.33};

/* A plot area in pixels and the data range it shows. */
typedef struct plot_area {
    double left, top, width, height, x0, x1, y0, y1;
} plot_area;

/* The pixel column of data x (assumes x1 > x0). */
static double plot_x(const plot_area *p, double x) { return p->left + (x - p->x0) / (p->x1 - p->x0) * p->width; }
/* The pixel row of data y (assumes y1 > y0; larger y is higher up). */
static double plot_y(const plot_area *p, double y) { return p->top + p->height - (y - p->y0) / (p->y1 - p->y0) * p->height; }

/* Sets the source to colour c at alpha (0: transparent, 1: opaque). */
static void set_colour(cairo_t *cr, colour c, double alpha) { cairo_set_source_rgba(cr, c.red, c.green, c.blue, alpha); }

/* ---------------------------------------------------------------- text */

/* The advance width of text at size (in the current font face). */
static double text_width(cairo_t *cr, double size, const char *text) {
    cairo_text_extents_t extents;
    cairo_set_font_size(cr, size);
    cairo_text_extents(cr, text, &extents);
    return extents.x_advance;
}

/* Draws text with its baseline at y and x at its left (align 0), centre (0.5) or right (1). */
static void draw_text(cairo_t *cr, double x, double y, double size, double align, const char *text) {
    double width = text_width(cr, size, text);
    cairo_move_to(cr, x - align * width, y);
    cairo_show_text(cr, text);
}

/* Selects the figure's font: sans-serif, bold or not. */
static void use_font(cairo_t *cr, bool bold) {
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
}

/* ---------------------------------------------------------------- axes */

/* The x ticks of p: the most (up to 8) whose widest label still leaves a gap to the next
 * one. Returns -1 when there are none. */
static int fitting_x_ticks(cairo_t *cr, const plot_area *p, bool integers, report_ticks *ticks) {
    for (int most = 8; most >= 2; most--) {
        if (report_nice_ticks(p->x0, p->x1, most, integers, ticks) != 0) return -1;
        double widest = 0;
        char label[48];
        for (int i = 0; i < ticks->count; i++) {
            report_tick_label(ticks, i, label, sizeof label);
            widest = fmax(widest, text_width(cr, TICK_FONT, label));
        }
        if (ticks->step / (p->x1 - p->x0) * p->width >= widest + 14) return 0;
    }
    return 0;
}

/* Draws p's frame, grid, ticks with labels, the axis labels and the title above it. x ticks
 * are integers when x_integers (training steps). */
static void draw_axes(cairo_t *cr, const plot_area *p, const char *x_label, const char *y_label, const char *title,
                      bool x_integers) {
    report_ticks x_ticks, y_ticks;
    use_font(cr, false);
    bool have_x = fitting_x_ticks(cr, p, x_integers, &x_ticks) == 0;
    bool have_y = report_nice_ticks(p->y0, p->y1, 6, false, &y_ticks) == 0;
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, p->left, p->top, p->width, p->height);
    cairo_fill(cr);
    /* grid on the ticks, at pixel centres so 1-pixel lines stay sharp */
    cairo_set_line_width(cr, 1);
    cairo_set_source_rgb(cr, 0.91, 0.91, 0.91);
    for (int i = 0; have_x && i < x_ticks.count; i++) {
        double x = floor(plot_x(p, x_ticks.values[i])) + 0.5;
        cairo_move_to(cr, x, p->top);
        cairo_line_to(cr, x, p->top + p->height);
    }
    for (int i = 0; have_y && i < y_ticks.count; i++) {
        double y = floor(plot_y(p, y_ticks.values[i])) + 0.5;
        cairo_move_to(cr, p->left, y);
        cairo_line_to(cr, p->left + p->width, y);
    }
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    cairo_rectangle(cr, floor(p->left) + 0.5, floor(p->top) + 0.5, p->width, p->height);
    cairo_stroke(cr);
    /* ticks outside the frame, labels beside them */
    char label[48];
    double bottom = floor(p->top + p->height) + 0.5, left = floor(p->left) + 0.5, widest_y = 0;
    cairo_text_extents_t digit;
    cairo_set_font_size(cr, TICK_FONT);
    cairo_text_extents(cr, "0", &digit);
    for (int i = 0; have_x && i < x_ticks.count; i++) {
        double x = floor(plot_x(p, x_ticks.values[i])) + 0.5;
        cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
        cairo_move_to(cr, x, bottom);
        cairo_line_to(cr, x, bottom + 4);
        cairo_stroke(cr);
        report_tick_label(&x_ticks, i, label, sizeof label);
        set_colour(cr, ink, 1);
        draw_text(cr, x, bottom + 7 + digit.height, TICK_FONT, 0.5, label);
    }
    for (int i = 0; have_y && i < y_ticks.count; i++) {
        double y = floor(plot_y(p, y_ticks.values[i])) + 0.5;
        cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
        cairo_move_to(cr, left - 4, y);
        cairo_line_to(cr, left, y);
        cairo_stroke(cr);
        report_tick_label(&y_ticks, i, label, sizeof label);
        set_colour(cr, ink, 1);
        draw_text(cr, left - 7, y + digit.height / 2, TICK_FONT, 1, label);
        widest_y = fmax(widest_y, text_width(cr, TICK_FONT, label));
    }
    set_colour(cr, ink, 1);
    draw_text(cr, p->left + p->width / 2, bottom + 14 + 2 * digit.height + 6, LABEL_FONT, 0.5, x_label);
    cairo_save(cr);
    cairo_translate(cr, fmax(left - 7 - widest_y - 10, p->left - CELL_LEFT + 16), p->top + p->height / 2);
    cairo_rotate(cr, -M_PI / 2);
    draw_text(cr, 0, 0, LABEL_FONT, 0.5, y_label);
    cairo_restore(cr);
    use_font(cr, true);
    draw_text(cr, p->left + p->width / 2, p->top - 10, TITLE_FONT, 0.5, title);
    use_font(cr, false);
}

/* ---------------------------------------------------------------- series */

/* How a series is drawn. */
typedef enum line_style {
    STYLE_RAW,      /* a training series under its average: thin and faint */
    STYLE_SMOOTHED, /* the moving average of a training series */
    STYLE_PLAIN,    /* a short training series or a schedule: a line with its points marked */
    STYLE_VALIDATION, /* validation points: dots joined by a thin dashed line */
    STYLE_COUNT
} line_style;

/* Traces a polyline through the finite points (steps[k], values[k]) of p; a non-finite value
 * breaks it. Strokes with the current source and line width. */
static void stroke_series(cairo_t *cr, const plot_area *p, const long *steps, const double *values, long count) {
    bool drawing = false;
    for (long k = 0; k < count; k++) {
        if (!isfinite(values[k])) {
            drawing = false;
            continue;
        }
        double x = plot_x(p, (double)steps[k]), y = plot_y(p, values[k]);
        if (drawing) cairo_line_to(cr, x, y);
        else cairo_move_to(cr, x, y);
        drawing = true;
    }
    cairo_stroke(cr);
}

/* A marker at (x, y): a dot with a white rim (validation) or a small square (plain). */
static void draw_marker(cairo_t *cr, double x, double y, line_style style, colour c) {
    if (style == STYLE_VALIDATION) cairo_arc(cr, x, y, 3.6, 0, 2 * M_PI);
    else cairo_rectangle(cr, x - 2.5, y - 2.5, 5, 5);
    set_colour(cr, c, 1);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
}

/* Sets the source, width and dash of a line drawn in style and colour c. */
static void set_line_style(cairo_t *cr, line_style style, colour c) {
    static const double dash[2] = {4, 3};
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_dash(cr, NULL, 0, 0);
    switch (style) {
    case STYLE_RAW: set_colour(cr, c, 0.35), cairo_set_line_width(cr, 1.0); break;
    case STYLE_SMOOTHED: set_colour(cr, c, 1), cairo_set_line_width(cr, 1.9); break;
    case STYLE_PLAIN: set_colour(cr, c, 1), cairo_set_line_width(cr, 1.6); break;
    default: set_colour(cr, c, 0.75), cairo_set_line_width(cr, 1.0), cairo_set_dash(cr, dash, 2, 0); break;
    }
}

/* Whether a series of count points drawn in style gets a marker on each: validation points
 * always, a plain line while it is short (a schedule of many steps is just a line). */
static bool has_markers(line_style style, long count) {
    return style == STYLE_VALIDATION || (style == STYLE_PLAIN && count < REPORT_SMOOTH_MIN_POINTS);
}

/* Draws the line of values in style and colour c, with markers where has_markers says. */
static void draw_series(cairo_t *cr, const plot_area *p, const long *steps, const double *values, long count,
                        line_style style, colour c) {
    set_line_style(cr, style, c);
    stroke_series(cr, p, steps, values, count);
    cairo_set_dash(cr, NULL, 0, 0);
    if (has_markers(style, count))
        for (long k = 0; k < count; k++)
            if (isfinite(values[k])) draw_marker(cr, plot_x(p, (double)steps[k]), plot_y(p, values[k]), style, c);
}

/* Whether metric is a schedule (a learning rate): exact values, never smoothed. */
static bool is_schedule(const char *metric) {
    const char *tail = strrchr(metric, '/');
    tail = tail ? tail + 1 : metric;
    return strcmp(tail, "learning_rate") == 0 || strcmp(tail, "lr") == 0;
}

/* ---------------------------------------------------------------- one panel */

/* The series of run r in panel, train (validation false) or validation, or NULL. */
static const store_metric_series *panel_series(const report_panel *panel, const report_run *runs, int r,
                                               bool validation) {
    int index = validation ? panel->val[r] : panel->train[r];
    return index >= 0 ? &runs[r].series[index] : NULL;
}

/* The data range of every finite point of panel into p->x0 .. p->y1, padded so no point sits
 * on the frame (an empty or one-valued range gets a width around its value). */
static void panel_range(const report_panel *panel, const report_run *runs, int run_count, plot_area *p) {
    p->x0 = p->y0 = INFINITY;
    p->x1 = p->y1 = -INFINITY;
    for (int r = 0; r < run_count; r++)
        for (int v = 0; v < 2; v++) {
            const store_metric_series *s = panel_series(panel, runs, r, v == 1);
            for (long k = 0; s && k < s->count; k++) {
                if (!isfinite(s->values[k])) continue;
                p->x0 = fmin(p->x0, (double)s->steps[k]);
                p->x1 = fmax(p->x1, (double)s->steps[k]);
                p->y0 = fmin(p->y0, s->values[k]);
                p->y1 = fmax(p->y1, s->values[k]);
            }
        }
    if (!(p->x1 >= p->x0)) p->x0 = 0, p->x1 = 1, p->y0 = 0, p->y1 = 1;
    if (p->x1 > p->x0) {
        double pad = 0.02 * (p->x1 - p->x0);
        p->x0 -= pad, p->x1 += pad;
    } else {
        p->x0 -= 1, p->x1 += 1;
    }
    double pad = p->y1 > p->y0 ? 0.06 * (p->y1 - p->y0) : (p->y0 != 0 ? 0.1 * fabs(p->y0) : 0.5);
    p->y0 -= pad, p->y1 += pad;
}

/* How run r's training series in panel is drawn: raw with its average over it when long
 * enough and not a schedule, else plain; STYLE_COUNT when the run has none there. */
static line_style train_style(const report_panel *panel, const report_run *runs, int r) {
    const store_metric_series *train = panel_series(panel, runs, r, false);
    if (!train) return STYLE_COUNT;
    return train->count >= REPORT_SMOOTH_MIN_POINTS && !is_schedule(panel->metric) ? STYLE_RAW : STYLE_PLAIN;
}

/* Draws one panel with its plot area's top left at (left, top). Fails only on memory. */
static int draw_panel(cairo_t *cr, double left, double top, const report_panel *panel, const report_run *runs,
                      int run_count, rlhf_error *error) {
    plot_area p = {.left = left, .top = top, .width = PLOT_WIDTH, .height = PLOT_HEIGHT};
    panel_range(panel, runs, run_count, &p);
    char y_label[128];
    report_axis_label(panel->metric, y_label, sizeof y_label);
    draw_axes(cr, &p, "step", y_label, panel->metric, true);
    cairo_save(cr);
    cairo_rectangle(cr, p.left, p.top, p.width, p.height);
    cairo_clip(cr);
    for (int r = 0; r < run_count; r++) {
        const store_metric_series *train = panel_series(panel, runs, r, false), *val = panel_series(panel, runs, r, true);
        line_style style = train_style(panel, runs, r);
        if (style == STYLE_RAW) {
            double *smoothed = malloc(sizeof *smoothed * (size_t)train->count);
            if (!smoothed) {
                cairo_restore(cr);
                rlhf_error_set(error, "out of memory smoothing %s", train->name);
                return -1;
            }
            report_smooth_ema(train->values, train->count, REPORT_SMOOTHING, smoothed);
            draw_series(cr, &p, train->steps, train->values, train->count, STYLE_RAW, run_colours[r]);
            draw_series(cr, &p, train->steps, smoothed, train->count, STYLE_SMOOTHED, run_colours[r]);
            free(smoothed);
        } else if (style == STYLE_PLAIN) {
            draw_series(cr, &p, train->steps, train->values, train->count, STYLE_PLAIN, run_colours[r]);
        }
        if (val) draw_series(cr, &p, val->steps, val->values, val->count, STYLE_VALIDATION, run_colours[r]);
    }
    cairo_restore(cr);
    return 0;
}

/* ---------------------------------------------------------------- the figure */

/* The figure's legend: what the styles drawn in it mean, and with several runs, which colour
 * is which run. */
typedef struct figure_legend {
    bool used[STYLE_COUNT]; /* styles some panel draws */
    bool train_words;       /* some panel pairs train/X with val/X: keys say "train" */
} figure_legend;

/* Which styles the panels draw (the legend lists only those). */
static figure_legend legend_of(const report_panel *panels, int panel_count, const report_run *runs, int run_count) {
    figure_legend legend = {{false}, false};
    for (int i = 0; i < panel_count; i++) {
        legend.train_words |= panels[i].grouped;
        for (int r = 0; r < run_count; r++) {
            line_style style = train_style(&panels[i], runs, r);
            if (style == STYLE_RAW) legend.used[STYLE_RAW] = legend.used[STYLE_SMOOTHED] = true;
            else if (style == STYLE_PLAIN) legend.used[STYLE_PLAIN] = true;
            if (panel_series(&panels[i], runs, r, true)) legend.used[STYLE_VALIDATION] = true;
        }
    }
    return legend;
}

/* Lays out (draw false: only measures) the legend, flowing left to right from (left, top)
 * and wrapping at width: with several runs a colour swatch and label each, then one key per
 * style used (in the run's colour for one run, else grey). Returns the rows it takes. */
static int lay_out_legend(cairo_t *cr, const figure_legend *legend, const report_run *runs, int run_count, double left,
                          double top, double width, bool draw) {
    char smoothed[48];
    snprintf(smoothed, sizeof smoothed, "%s (EMA %.1f)", legend->train_words ? "train" : "smoothed", REPORT_SMOOTHING);
    const char *keys[STYLE_COUNT] = {legend->train_words ? "train (raw)" : "raw", smoothed,
                                     legend->train_words ? "train (as logged)" : "as logged", "validation"};
    int rows = 1, entries = (run_count > 1 ? run_count : 0) + STYLE_COUNT;
    double x = left;
    for (int e = 0; e < entries; e++) {
        bool is_run = e < (run_count > 1 ? run_count : 0);
        int style = is_run ? 0 : e - (run_count > 1 ? run_count : 0);
        if (!is_run && !legend->used[style]) continue;
        char fallback[32];
        snprintf(fallback, sizeof fallback, "run %d", e + 1);
        const char *text = is_run ? (runs[e].label ? runs[e].label : fallback) : keys[style];
        bool after_runs = !is_run && x > left && run_count > 1 && style == 0;
        double gap = after_runs ? 18 : 0, entry = 24 + 6 + text_width(cr, LEGEND_FONT, text);
        if (x > left && x + gap + entry > left + width) x = left, gap = 0, rows++;
        x += gap;
        double middle = floor(top + (rows - 1) * LEGEND_ROW + LEGEND_ROW / 2) + 0.5;
        if (draw && is_run) {
            set_colour(cr, run_colours[e], 1);
            cairo_rectangle(cr, x, middle - 2.5, 24, 5);
            cairo_fill(cr);
        } else if (draw) {
            colour key = run_count == 1 ? run_colours[0] : neutral_key;
            set_line_style(cr, (line_style)style, key);
            cairo_move_to(cr, x, middle);
            cairo_line_to(cr, x + 24, middle);
            cairo_stroke(cr);
            cairo_set_dash(cr, NULL, 0, 0);
            if (has_markers((line_style)style, 1)) draw_marker(cr, x + 12, middle, (line_style)style, key);
        }
        if (draw) {
            set_colour(cr, ink, 1);
            draw_text(cr, x + 30, middle + 4, LEGEND_FONT, 0, text);
        }
        x += entry + 22;
    }
    return rows;
}

/* A PNG encoded in memory. */
typedef struct png_buffer {
    unsigned char *data;
    size_t size, capacity;
} png_buffer;

/* cairo's write callback: appends length bytes to the png_buffer closure points at, growing
 * it through rlhf_grow (checked for overflow and allocation failure). */
static cairo_status_t append_png(void *closure, const unsigned char *data, unsigned int length) {
    png_buffer *buffer = closure;
    if (length > SIZE_MAX - buffer->size ||
        rlhf_grow(&buffer->data, &buffer->capacity, buffer->size + length, 1) != 0)
        return CAIRO_STATUS_NO_MEMORY;
    memcpy(buffer->data + buffer->size, data, length);
    buffer->size += length;
    return CAIRO_STATUS_SUCCESS;
}

/* Checks what was drawn on surface through cr, encodes it as PNG and writes it to path
 * atomically. Destroys cr and surface either way. */
static int finish_png(cairo_surface_t *surface, cairo_t *cr, const char *path, rlhf_error *error) {
    cairo_status_t status = cairo_status(cr);
    cairo_destroy(cr);
    png_buffer buffer = {0};
    if (status == CAIRO_STATUS_SUCCESS) status = cairo_surface_write_to_png_stream(surface, append_png, &buffer);
    cairo_surface_destroy(surface);
    int result = -1;
    if (status != CAIRO_STATUS_SUCCESS)
        rlhf_error_set(error, "%s: cannot draw the plot (%s)", path, cairo_status_to_string(status));
    else
        result = rlhf_write_file_atomic(path, buffer.data, buffer.size, error);
    free(buffer.data);
    return result;
}

/* A white surface of width x height and its context, or -1 with the error set. */
static int new_canvas(int width, int height, const char *path, cairo_surface_t **surface, cairo_t **cr,
                      rlhf_error *error) {
    *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    *cr = cairo_create(*surface);
    if (cairo_status(*cr) != CAIRO_STATUS_SUCCESS) {
        rlhf_error_set(error, "%s: cannot make a %dx%d picture (%s)", path, width, height,
                       cairo_status_to_string(cairo_status(*cr)));
        cairo_destroy(*cr);
        cairo_surface_destroy(*surface);
        return -1;
    }
    cairo_set_source_rgb(*cr, 1, 1, 1);
    cairo_paint(*cr);
    use_font(*cr, false);
    return 0;
}

/* Groups the series into panels, lays them out up to three abreast, measures the legend on a
 * scratch canvas to know the header's height, then draws title, legend and panels. */
int report_runs_png(const char *title, const report_run *runs, int run_count, const char *path, rlhf_error *error) {
    if (run_count < 1 || run_count > REPORT_MAX_RUNS) {
        rlhf_error_set(error, "%s: %d runs: a figure shows 1 to %d", path, run_count, REPORT_MAX_RUNS);
        return -1;
    }
    for (int r = 0; r < run_count; r++)
        if (runs[r].count == 0) {
            if (runs[r].label) rlhf_error_set(error, "%s: nothing to plot for %s (it has no metrics)", path, runs[r].label);
            else rlhf_error_set(error, "%s: nothing to plot (the run has no metrics)", path);
            return -1;
        }
    report_panel *panels;
    int panel_count;
    if (report_group_panels(runs, run_count, &panels, &panel_count, error) != 0) return -1;
    int columns = panel_count <= 3 ? panel_count : panel_count == 4 ? 2 : 3;
    int rows = (panel_count + columns - 1) / columns;
    int width = 2 * FIGURE_MARGIN + columns * CELL_WIDTH;
    /* measure the legend on a scratch canvas before the figure's height is known */
    figure_legend legend = legend_of(panels, panel_count, runs, run_count);
    cairo_surface_t *surface;
    cairo_t *cr;
    if (new_canvas(1, 1, path, &surface, &cr, error) != 0) {
        free(panels);
        return -1;
    }
    int legend_rows = lay_out_legend(cr, &legend, runs, run_count, 0, 0, width - 2 * FIGURE_MARGIN, false);
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
    int header = FIGURE_MARGIN + TITLE_HEIGHT + legend_rows * LEGEND_ROW;
    int height = header + rows * CELL_HEIGHT + FIGURE_MARGIN / 2;
    if (new_canvas(width, height, path, &surface, &cr, error) != 0) {
        free(panels);
        return -1;
    }
    use_font(cr, true);
    set_colour(cr, ink, 1);
    draw_text(cr, FIGURE_MARGIN, FIGURE_MARGIN + 18, 16, 0, title);
    use_font(cr, false);
    lay_out_legend(cr, &legend, runs, run_count, FIGURE_MARGIN, FIGURE_MARGIN + TITLE_HEIGHT - 4,
                   width - 2 * FIGURE_MARGIN, true);
    int status = 0;
    for (int i = 0; i < panel_count && status == 0; i++) {
        double left = FIGURE_MARGIN + (i % columns) * CELL_WIDTH + CELL_LEFT;
        double top = header + (i / columns) * CELL_HEIGHT + CELL_TOP;
        status = draw_panel(cr, left, top, &panels[i], runs, run_count, error);
    }
    free(panels);
    if (status != 0) {
        cairo_destroy(cr);
        cairo_surface_destroy(surface);
        return -1;
    }
    return finish_png(surface, cr, path, error);
}

/* One run without a label: no run legend, the title names it. */
int report_curves_png(const char *title, const store_metric_series *series, int count, const char *path,
                      rlhf_error *error) {
    const report_run run = {.label = NULL, .series = series, .count = count};
    return report_runs_png(title, &run, 1, path, error);
}

/* ---------------------------------------------------------------- reliability diagram */

/* One fixed-size panel: bars per bin, dots at each bin's mean confidence, the diagonal. */
int report_reliability_png(const char *title, const long *bin_count, const double *bin_confidence,
                           const double *bin_accuracy, int bins, double ece, const char *path, rlhf_error *error) {
    cairo_surface_t *surface;
    cairo_t *cr;
    if (new_canvas(560, 540, path, &surface, &cr, error) != 0) return -1;
    plot_area p = {.left = 86, .top = 84, .width = 440, .height = 380, .x0 = 0.5, .x1 = 1.0, .y0 = 0.0, .y1 = 1.0};
    char heading[160];
    snprintf(heading, sizeof heading, "%s (ECE %.3f)", title, ece);
    use_font(cr, true);
    set_colour(cr, ink, 1);
    draw_text(cr, FIGURE_MARGIN, FIGURE_MARGIN + 18, 16, 0, heading);
    use_font(cr, false);
    draw_axes(cr, &p, "confidence", "accuracy", "accuracy against confidence", false);
    long most = 1;
    for (int b = 0; b < bins; b++) most = bin_count[b] > most ? bin_count[b] : most;
    double bin_width = 0.5 / bins;
    for (int b = 0; b < bins; b++) {
        if (bin_count[b] == 0) continue;
        double lo = 0.5 + b * bin_width;
        /* bar: accuracy of the bin, shaded by how many pairs it holds */
        double shade = 0.35 + 0.5 * (double)bin_count[b] / most;
        set_colour(cr, run_colours[0], shade);
        cairo_rectangle(cr, plot_x(&p, lo) + 2, plot_y(&p, bin_accuracy[b]), p.width / bins - 4,
                        plot_y(&p, 0) - plot_y(&p, bin_accuracy[b]));
        cairo_fill(cr);
        set_colour(cr, run_colours[3], 1);
        cairo_arc(cr, plot_x(&p, bin_confidence[b]), plot_y(&p, bin_confidence[b]), 3.5, 0, 2 * M_PI);
        cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
    cairo_set_line_width(cr, 1);
    cairo_set_dash(cr, (double[]){4, 4}, 2, 0);
    cairo_move_to(cr, plot_x(&p, 0.5), plot_y(&p, 0.5));
    cairo_line_to(cr, plot_x(&p, 1.0), plot_y(&p, 1.0));
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    set_colour(cr, ink, 1);
    draw_text(cr, FIGURE_MARGIN, 528, 12, 0, "bars: accuracy per bin; dots: mean confidence; dashed: calibrated");
    return finish_png(surface, cr, path, error);
}

/* ---------------------------------------------------------------- over-optimisation */

/* The value of series at step, NAN when it has none there. */
static double value_at(const store_metric_series *series, long step) {
    for (long k = 0; series && k < series->count; k++)
        if (series->steps[k] == step) return series->values[k];
    return NAN;
}

/* The series of run called name, or NULL. */
static const store_metric_series *find_series(const report_run *run, const char *name) {
    for (int i = 0; i < run->count; i++)
        if (strcmp(run->series[i].name, name) == 0) return &run->series[i];
    return NULL;
}

/* Two panels, gold score and reward-model score against sqrt(KL), one line per run through
 * its evaluations in step order: Gao, Schulman and Hilton's picture of over-optimisation
 * (the proxy keeps rising while the gold score turns down). */
int report_overoptimisation_png(const char *title, const report_run *runs, int run_count, const char *path,
                                rlhf_error *error) {
    if (run_count < 1 || run_count > REPORT_MAX_RUNS) {
        rlhf_error_set(error, "%s: %d runs: a figure shows 1 to %d", path, run_count, REPORT_MAX_RUNS);
        return -1;
    }
    const char *metrics[2] = {"eval/gold", "eval/score"};
    const char *labels[2] = {"gold score", "reward-model score"};
    plot_area panels[2];
    bool any[2] = {false, false};
    for (int m = 0; m < 2; m++) {
        panels[m] = (plot_area){.left = FIGURE_MARGIN + m * CELL_WIDTH + CELL_LEFT,
                                .top = FIGURE_MARGIN + TITLE_HEIGHT + LEGEND_ROW + CELL_TOP,
                                .width = PLOT_WIDTH, .height = PLOT_HEIGHT,
                                .x0 = INFINITY, .x1 = -INFINITY, .y0 = INFINITY, .y1 = -INFINITY};
        for (int r = 0; r < run_count; r++) {
            const store_metric_series *kl = find_series(&runs[r], "eval/kl");
            const store_metric_series *y = find_series(&runs[r], metrics[m]);
            for (long k = 0; kl && y && k < kl->count; k++) {
                double x = sqrt(fmax(kl->values[k], 0.0)), v = value_at(y, kl->steps[k]);
                if (!isfinite(x) || !isfinite(v)) continue;
                any[m] = true;
                panels[m].x0 = fmin(panels[m].x0, x), panels[m].x1 = fmax(panels[m].x1, x);
                panels[m].y0 = fmin(panels[m].y0, v), panels[m].y1 = fmax(panels[m].y1, v);
            }
        }
        if (!any[m]) continue;
        /* pad so no point sits on the frame; a flat range gets a unit of room */
        double dx = panels[m].x1 - panels[m].x0, dy = panels[m].y1 - panels[m].y0;
        dx = dx > 0 ? dx : 1.0, dy = dy > 0 ? dy : 1.0;
        panels[m].x0 = fmax(0.0, panels[m].x0 - 0.05 * dx), panels[m].x1 += 0.05 * dx;
        panels[m].y0 -= 0.08 * dy, panels[m].y1 += 0.08 * dy;
    }
    if (!any[0] && !any[1]) {
        rlhf_error_set(error, "%s: nothing to plot: no run has eval/kl with eval/gold or eval/score (rlhf ppo logs "
                              "them when it evaluates; --gold adds eval/gold)",
                       path);
        return -1;
    }
    cairo_surface_t *surface;
    cairo_t *cr;
    int width = 2 * FIGURE_MARGIN + 2 * CELL_WIDTH;
    int height = FIGURE_MARGIN + TITLE_HEIGHT + LEGEND_ROW + CELL_HEIGHT + FIGURE_MARGIN / 2;
    if (new_canvas(width, height, path, &surface, &cr, error) != 0) return -1;
    use_font(cr, true);
    set_colour(cr, ink, 1);
    draw_text(cr, FIGURE_MARGIN, FIGURE_MARGIN + 18, 16, 0, title);
    use_font(cr, false);
    /* the legend: one entry per run (its colour), and what a point is */
    double x = FIGURE_MARGIN, y = FIGURE_MARGIN + TITLE_HEIGHT + 8;
    for (int r = 0; r < run_count; r++) {
        char name[96];
        snprintf(name, sizeof name, "%s", runs[r].label ? runs[r].label : "the run");
        set_colour(cr, run_colours[r], 1);
        cairo_rectangle(cr, x, y - 8, 14, 3);
        cairo_fill(cr);
        set_colour(cr, ink, 1);
        draw_text(cr, x + 20, y - 3, LEGEND_FONT, 0, name);
        x += 30 + text_width(cr, LEGEND_FONT, name);
    }
    set_colour(cr, neutral_key, 1);
    draw_text(cr, x, y - 3, LEGEND_FONT, 0, "(a point per evaluation on held-out prompts, in step order)");
    for (int m = 0; m < 2; m++) {
        if (!any[m]) continue;
        char heading[64];
        snprintf(heading, sizeof heading, "%s against sqrt(KL)", labels[m]);
        draw_axes(cr, &panels[m], "sqrt(KL to the reference, nats)", labels[m], heading, false);
        for (int r = 0; r < run_count; r++) {
            const store_metric_series *kl = find_series(&runs[r], "eval/kl");
            const store_metric_series *series = find_series(&runs[r], metrics[m]);
            if (!kl || !series) continue;
            set_line_style(cr, STYLE_PLAIN, run_colours[r]);
            bool drawing = false;
            for (long k = 0; k < kl->count; k++) {
                double px = sqrt(fmax(kl->values[k], 0.0)), v = value_at(series, kl->steps[k]);
                if (!isfinite(px) || !isfinite(v)) continue;
                if (drawing) cairo_line_to(cr, plot_x(&panels[m], px), plot_y(&panels[m], v));
                else cairo_move_to(cr, plot_x(&panels[m], px), plot_y(&panels[m], v));
                drawing = true;
            }
            cairo_stroke(cr);
            for (long k = 0; k < kl->count; k++) {
                double px = sqrt(fmax(kl->values[k], 0.0)), v = value_at(series, kl->steps[k]);
                if (isfinite(px) && isfinite(v))
                    draw_marker(cr, plot_x(&panels[m], px), plot_y(&panels[m], v), STYLE_VALIDATION, run_colours[r]);
            }
        }
    }
    return finish_png(surface, cr, path, error);
}
