/* PNG plots with cairo. Files are rendered to a temporary name and renamed into place, so a
 * reader never sees half a picture. */
#include "rlhf/report.h"

#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes surface to path via a temporary file and rename. */
static int save_png(cairo_surface_t *surface, const char *path, rlhf_error *error) {
    char temporary[4200];
    snprintf(temporary, sizeof temporary, "%s.tmp.png", path);
    cairo_status_t status = cairo_surface_write_to_png(surface, temporary);
    if (status != CAIRO_STATUS_SUCCESS || rename(temporary, path) != 0) {
        rlhf_error_set(error, "%s: cannot write the plot (%s)", path, cairo_status_to_string(status));
        remove(temporary);
        return -1;
    }
    return 0;
}

static void text_at(cairo_t *cr, double x, double y, double size, const char *text) {
    cairo_set_font_size(cr, size);
    cairo_move_to(cr, x, y);
    cairo_show_text(cr, text);
}

/* Draws a framed panel with axis labels for [x0,x1] x [y0,y1]; returns the mapping. */
typedef struct panel {
    double left, top, width, height, x0, x1, y0, y1;
} panel;

static double panel_x(const panel *p, double x) { return p->left + (x - p->x0) / (p->x1 - p->x0) * p->width; }
static double panel_y(const panel *p, double y) { return p->top + p->height - (y - p->y0) / (p->y1 - p->y0) * p->height; }

static void draw_frame(cairo_t *cr, const panel *p, const char *title) {
    cairo_set_source_rgb(cr, 0.97, 0.97, 0.97);
    cairo_rectangle(cr, p->left, p->top, p->width, p->height);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, p->left, p->top, p->width, p->height);
    cairo_stroke(cr);
    char label[64];
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    text_at(cr, p->left, p->top - 8, 14, title);
    snprintf(label, sizeof label, "%.3g", p->y1);
    text_at(cr, p->left - 48, p->top + 10, 11, label);
    snprintf(label, sizeof label, "%.3g", p->y0);
    text_at(cr, p->left - 48, p->top + p->height, 11, label);
    snprintf(label, sizeof label, "%.4g", p->x0);
    text_at(cr, p->left, p->top + p->height + 16, 11, label);
    snprintf(label, sizeof label, "%.4g", p->x1);
    text_at(cr, p->left + p->width - 30, p->top + p->height + 16, 11, label);
}

int report_curves_png(const char *title, const store_metric_series *series, int count, const char *path,
                      rlhf_error *error) {
    if (count == 0) {
        rlhf_error_set(error, "%s: nothing to plot (the run has no metrics)", path);
        return -1;
    }
    int columns = count < 2 ? 1 : 2, rows = (count + columns - 1) / columns;
    int width = 520 * columns, height = 60 + 300 * rows;
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    cairo_t *cr = cairo_create(surface);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text_at(cr, 20, 30, 18, title);
    for (int i = 0; i < count; i++) {
        const store_metric_series *s = &series[i];
        panel p = {.left = 70 + 520 * (i % columns), .top = 80 + 300 * (i / columns), .width = 420, .height = 210};
        p.x0 = s->count ? (double)s->steps[0] : 0;
        p.x1 = s->count ? (double)s->steps[s->count - 1] : 1;
        if (p.x1 <= p.x0) p.x1 = p.x0 + 1;
        p.y0 = INFINITY;
        p.y1 = -INFINITY;
        for (long k = 0; k < s->count; k++) {
            p.y0 = fmin(p.y0, s->values[k]);
            p.y1 = fmax(p.y1, s->values[k]);
        }
        if (!(p.y1 > p.y0)) {
            p.y0 -= 0.5;
            p.y1 += 0.5;
        }
        draw_frame(cr, &p, s->name);
        cairo_set_source_rgb(cr, 0.12, 0.38, 0.75);
        cairo_set_line_width(cr, 1.5);
        for (long k = 0; k < s->count; k++) {
            double x = panel_x(&p, (double)s->steps[k]), y = panel_y(&p, s->values[k]);
            if (k == 0) cairo_move_to(cr, x, y);
            else cairo_line_to(cr, x, y);
            if (s->count == 1) cairo_arc(cr, x, y, 3, 0, 2 * M_PI);
        }
        cairo_stroke(cr);
    }
    cairo_destroy(cr);
    int status = save_png(surface, path, error);
    cairo_surface_destroy(surface);
    return status;
}

int report_reliability_png(const char *title, const long *bin_count, const double *bin_confidence,
                           const double *bin_accuracy, int bins, double ece, const char *path, rlhf_error *error) {
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 560, 520);
    cairo_t *cr = cairo_create(surface);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    panel p = {.left = 70, .top = 70, .width = 440, .height = 380, .x0 = 0.5, .x1 = 1.0, .y0 = 0.0, .y1 = 1.0};
    char heading[160];
    snprintf(heading, sizeof heading, "%s (ECE %.3f)", title, ece);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text_at(cr, 20, 30, 17, heading);
    draw_frame(cr, &p, "accuracy against confidence");
    long most = 1;
    for (int b = 0; b < bins; b++) most = bin_count[b] > most ? bin_count[b] : most;
    double bin_width = 0.5 / bins;
    for (int b = 0; b < bins; b++) {
        if (bin_count[b] == 0) continue;
        double lo = 0.5 + b * bin_width;
        /* bar: accuracy of the bin, shaded by how many pairs it holds */
        double shade = 0.35 + 0.5 * (double)bin_count[b] / most;
        cairo_set_source_rgba(cr, 0.12, 0.38, 0.75, shade);
        cairo_rectangle(cr, panel_x(&p, lo) + 2, panel_y(&p, bin_accuracy[b]), p.width / bins - 4,
                        panel_y(&p, 0) - panel_y(&p, bin_accuracy[b]));
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0.8, 0.2, 0.1);
        cairo_arc(cr, panel_x(&p, bin_confidence[b]), panel_y(&p, bin_confidence[b]), 3, 0, 2 * M_PI);
        cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
    cairo_set_dash(cr, (double[]){4, 4}, 2, 0);
    cairo_move_to(cr, panel_x(&p, 0.5), panel_y(&p, 0.5));
    cairo_line_to(cr, panel_x(&p, 1.0), panel_y(&p, 1.0));
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    text_at(cr, 70, 495, 12, "bars: accuracy per bin; dots: mean confidence; dashed: calibrated");
    cairo_destroy(cr);
    int status = save_png(surface, path, error);
    cairo_surface_destroy(surface);
    return status;
}
