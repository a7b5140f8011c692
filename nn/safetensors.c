/* safetensors: an 8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and byte range, then the raw data. Files are read whole and validated
 * before any tensor is handed out, so a damaged file is refused, never half-used.
 * (This host is little-endian, as the format is; nn/safetensors.c would need byte swaps
 * elsewhere.) */
#include "rlhf/nn.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    safetensors_dtype dtype;
    size_t size;
} dtypes[] = {
    {"F64", SAFETENSORS_F64, 8}, {"F32", SAFETENSORS_F32, 4}, {"F16", SAFETENSORS_F16, 2},
    {"BF16", SAFETENSORS_BF16, 2}, {"I64", SAFETENSORS_I64, 8}, {"I32", SAFETENSORS_I32, 4},
    {"U8", SAFETENSORS_U8, 1},
};

/* Bytes per element of dtype; 0 for a value outside the table. */
static size_t dtype_size(safetensors_dtype dtype) {
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (dtypes[i].dtype == dtype) return dtypes[i].size;
    return 0;
}

/* The header's name for dtype ("F32", ...); "?" for a value outside the table. */
static const char *dtype_name(safetensors_dtype dtype) {
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (dtypes[i].dtype == dtype) return dtypes[i].name;
    return "?";
}

/* Orders tensors by their first byte, for the overlap check. */
static int compare_begin(const void *a, const void *b) {
    const safetensors_tensor *x = *(safetensors_tensor *const *)a, *y = *(safetensors_tensor *const *)b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

/* Parses one header entry into tensor, checking its dtype, its shape (up to 8 dimensions,
 * whose product and byte size cannot wrap) against its data_offsets, and that the range lies
 * in the data_size bytes of the data section. Fails naming the file and the tensor; on
 * success tensor->name is a malloc'd copy of name. */
static int parse_entry(safetensors_file *file, const char *name, json_t *entry,
                       safetensors_tensor *tensor, size_t data_size, rlhf_error *error) {
    const char *path = file->path;
    if (!json_is_object(entry)) {
        rlhf_error_set(error, "%s: tensor '%s': header entry is not an object", path, name);
        return -1;
    }
    json_t *dtype = json_object_get(entry, "dtype");
    json_t *shape = json_object_get(entry, "shape");
    json_t *offsets = json_object_get(entry, "data_offsets");
    if (!json_is_string(dtype) || !json_is_array(shape) || !json_is_array(offsets) ||
        json_array_size(offsets) != 2) {
        rlhf_error_set(error, "%s: tensor '%s': header entry needs dtype, shape and data_offsets", path, name);
        return -1;
    }
    bool known = false;
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (strcmp(json_string_value(dtype), dtypes[i].name) == 0) {
            tensor->dtype = dtypes[i].dtype;
            known = true;
        }
    if (!known) {
        rlhf_error_set(error, "%s: tensor '%s': unsupported dtype '%s'", path, name, json_string_value(dtype));
        return -1;
    }
    if (json_array_size(shape) > 8) {
        rlhf_error_set(error, "%s: tensor '%s': more than 8 dimensions", path, name);
        return -1;
    }
    tensor->ndim = (int)json_array_size(shape);
    size_t count = 1;
    for (int d = 0; d < tensor->ndim; d++) {
        json_t *dim = json_array_get(shape, (size_t)d);
        if (!json_is_integer(dim) || json_integer_value(dim) < 0 || json_integer_value(dim) > (1LL << 40)) {
            rlhf_error_set(error, "%s: tensor '%s': bad shape", path, name);
            return -1;
        }
        tensor->shape[d] = json_integer_value(dim);
        /* the product of up to 8 dimensions (and its bytes) must not wrap around, or a
         * crafted shape could pass the size test against its data_offsets */
        if (!rlhf_size_multiply(count, (size_t)tensor->shape[d], &count) || count > SIZE_MAX / 8) {
            rlhf_error_set(error, "%s: tensor '%s': shape has more elements than any file can hold", path, name);
            return -1;
        }
    }
    json_t *begin = json_array_get(offsets, 0), *end = json_array_get(offsets, 1);
    if (!json_is_integer(begin) || !json_is_integer(end) || json_integer_value(begin) < 0 ||
        json_integer_value(end) < json_integer_value(begin)) {
        rlhf_error_set(error, "%s: tensor '%s': bad data_offsets", path, name);
        return -1;
    }
    tensor->begin = (size_t)json_integer_value(begin);
    tensor->end = (size_t)json_integer_value(end);
    tensor->count = count;
    if (tensor->end > data_size) {
        rlhf_error_set(error, "%s: tensor '%s': data runs past the end of the file (truncated?)", path, name);
        return -1;
    }
    size_t bytes = count * dtype_size(tensor->dtype); /* count <= SIZE_MAX / 8 was checked above */
    if (bytes != tensor->end - tensor->begin) {
        rlhf_error_set(error, "%s: tensor '%s': shape needs %zu bytes but data_offsets give %zu", path,
                       name, count * dtype_size(tensor->dtype), tensor->end - tensor->begin);
        return -1;
    }
    tensor->name = strdup(name);
    if (!tensor->name) {
        rlhf_error_set(error, "%s: out of memory reading tensor '%s'", path, name);
        return -1;
    }
    return 0;
}

/* Fails unless no two tensors of file share a byte and their ranges end exactly at the end of
 * the data section (data_size bytes): anything after them is damage or another format (the
 * reference reader refuses it too). */
static int check_layout(const safetensors_file *file, size_t data_size, rlhf_error *error) {
    const char *path = file->path;
    safetensors_tensor **order = malloc(sizeof *order * ((size_t)file->tensor_count + 1));
    if (!order) {
        rlhf_error_set(error, "%s: out of memory checking %d tensors", path, file->tensor_count);
        return -1;
    }
    for (int i = 0; i < file->tensor_count; i++) order[i] = &file->tensors[i];
    qsort(order, (size_t)file->tensor_count, sizeof *order, compare_begin);
    const safetensors_tensor *furthest = NULL; /* the tensor reaching furthest so far */
    for (int i = 0; i < file->tensor_count; i++) {
        if (order[i]->end == order[i]->begin) continue; /* an empty tensor shares no bytes */
        if (furthest && order[i]->begin < furthest->end) {
            rlhf_error_set(error, "%s: tensors '%s' and '%s' overlap", path, furthest->name, order[i]->name);
            free(order);
            return -1;
        }
        if (!furthest || order[i]->end > furthest->end) furthest = order[i];
    }
    free(order);
    size_t data_end = 0;
    for (int i = 0; i < file->tensor_count; i++) data_end = file->tensors[i].end > data_end ? file->tensors[i].end : data_end;
    if (data_end != data_size) {
        rlhf_error_set(error, "%s: %zu bytes after the last tensor's data (damaged, or not a safetensors file)", path,
                       data_size - data_end);
        return -1;
    }
    return 0;
}

/* Copies the "__metadata__" object (up to 64 strings to strings) into file. */
static int read_metadata(safetensors_file *file, json_t *metadata, rlhf_error *error) {
    const char *path = file->path;
    if (!json_is_object(metadata)) {
        rlhf_error_set(error, "%s: __metadata__ must be an object of strings", path);
        return -1;
    }
    const char *key;
    json_t *value;
    json_object_foreach(metadata, key, value) {
        if (!json_is_string(value) || file->metadata_count >= 64) {
            rlhf_error_set(error, "%s: __metadata__ must map up to 64 strings to strings", path);
            return -1;
        }
        char *key_copy = strdup(key), *value_copy = strdup(json_string_value(value));
        if (!key_copy || !value_copy) {
            free(key_copy);
            free(value_copy);
            rlhf_error_set(error, "%s: out of memory reading __metadata__", path);
            return -1;
        }
        file->metadata_keys[file->metadata_count] = key_copy;
        file->metadata_values[file->metadata_count++] = value_copy;
    }
    return 0;
}

/* See nn.h: reads path whole and validates it; on failure file is left empty (closed). */
int safetensors_open(safetensors_file *file, const char *path, rlhf_error *error) {
    memset(file, 0, sizeof *file);
    file->path = strdup(path);
    if (!file->path) {
        rlhf_error_set(error, "%s: out of memory", path);
        return -1;
    }
    char *bytes = NULL;
    size_t size = 0;
    if (rlhf_read_file(path, &bytes, &size, error) != 0) goto fail;
    file->bytes = (unsigned char *)bytes;
    file->size = size;
    if (size < 8) {
        rlhf_error_set(error, "%s: too short for a safetensors file (%zu bytes)", path, size);
        goto fail;
    }
    uint64_t header_length = 0;
    memcpy(&header_length, bytes, 8);
    if (header_length > size - 8 || header_length > (100u << 20)) {
        rlhf_error_set(error, "%s: bad header length %llu for a %zu-byte file (truncated or not safetensors)",
                       path, (unsigned long long)header_length, size);
        goto fail;
    }
    json_error_t json_error;
    json_t *header = json_loadb(bytes + 8, header_length, JSON_REJECT_DUPLICATES, &json_error);
    if (!header || !json_is_object(header)) {
        rlhf_error_set(error, "%s: header is not a JSON object (%s)", path, header ? "" : json_error.text);
        json_decref(header);
        goto fail;
    }
    file->data_offset = 8 + header_length;
    size_t data_size = size - file->data_offset;
    size_t entries = json_object_size(header);
    file->tensors = calloc(entries ? entries : 1, sizeof *file->tensors);
    file->metadata_keys = calloc(64, sizeof(char *));
    file->metadata_values = calloc(64, sizeof(char *));
    if (!file->tensors || !file->metadata_keys || !file->metadata_values) {
        rlhf_error_set(error, "%s: out of memory for a header of %zu entries", path, entries);
        json_decref(header);
        goto fail;
    }
    const char *key;
    json_t *value;
    json_object_foreach(header, key, value) {
        bool is_metadata = strcmp(key, "__metadata__") == 0;
        int status = is_metadata
                         ? read_metadata(file, value, error)
                         : parse_entry(file, key, value, &file->tensors[file->tensor_count], data_size, error);
        if (status != 0) {
            json_decref(header);
            goto fail;
        }
        if (!is_metadata) file->tensor_count++;
    }
    json_decref(header);
    if (check_layout(file, data_size, error) != 0) goto fail;
    return 0;
fail:
    safetensors_close(file);
    return -1;
}

/* Frees everything file holds and empties it; safe on an emptied or half-opened file. */
void safetensors_close(safetensors_file *file) {
    for (int i = 0; i < file->tensor_count; i++) free(file->tensors[i].name);
    for (int i = 0; i < file->metadata_count; i++) {
        free(file->metadata_keys[i]);
        free(file->metadata_values[i]);
    }
    free(file->metadata_keys);
    free(file->metadata_values);
    free(file->tensors);
    free(file->bytes);
    free(file->path);
    memset(file, 0, sizeof *file);
}

/* The tensor named name exactly, or NULL. */
const safetensors_tensor *safetensors_find(const safetensors_file *file, const char *name) {
    for (int i = 0; i < file->tensor_count; i++)
        if (strcmp(file->tensors[i].name, name) == 0) return &file->tensors[i];
    return NULL;
}

/* The metadata value of key, or NULL when absent. */
const char *safetensors_metadata(const safetensors_file *file, const char *key) {
    for (int i = 0; i < file->metadata_count; i++)
        if (strcmp(file->metadata_keys[i], key) == 0) return file->metadata_values[i];
    return NULL;
}

/* See nn.h: 0 with *value set, 1 when key is absent, -1 naming a malformed value. */
int safetensors_metadata_count(const safetensors_file *file, const char *key, int *value, rlhf_error *error) {
    const char *text = safetensors_metadata(file, key);
    if (!text) return 1;
    char *end;
    errno = 0;
    long number = strtol(text, &end, 10);
    if (errno || end == text || *end || number < 0 || number > 2147483647L) {
        rlhf_error_set(error, "%s: \"%s\" is not a non-negative integer ('%s')", file->path, key, text);
        return -1;
    }
    *value = (int)number;
    return 0;
}

/* IEEE half to float, exactly (subnormals, infinities and NaN included). */
static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, exponent = (h >> 10) & 31, mantissa = h & 1023;
    float value;
    if (exponent == 0) value = ldexpf((float)mantissa, -24);
    else if (exponent == 31) value = mantissa ? NAN : INFINITY;
    else value = ldexpf((float)(mantissa | 1024), (int)exponent - 25);
    return sign ? -value : value;
}

/* See nn.h. out holds tensor->count floats; tensor belongs to file, whose open validated
 * that its bytes are in the file. F64 rounds to nearest; BF16 and F16 convert exactly. */
int safetensors_read_f32(const safetensors_file *file, const safetensors_tensor *tensor, float *out,
                         rlhf_error *error) {
    const unsigned char *data = file->bytes + file->data_offset + tensor->begin;
    size_t n = tensor->count;
    switch (tensor->dtype) {
    case SAFETENSORS_F32: memcpy(out, data, n * 4); return 0;
    case SAFETENSORS_F64:
        for (size_t i = 0; i < n; i++) {
            double x;
            memcpy(&x, data + 8 * i, 8);
            out[i] = (float)x;
        }
        return 0;
    case SAFETENSORS_F16:
        for (size_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, data + 2 * i, 2);
            out[i] = half_to_float(h);
        }
        return 0;
    case SAFETENSORS_BF16:
        for (size_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, data + 2 * i, 2);
            uint32_t bits = (uint32_t)h << 16;
            memcpy(&out[i], &bits, 4);
        }
        return 0;
    default:
        rlhf_error_set(error, "%s: tensor '%s' has dtype %s, expected a float type", file->path,
                       tensor->name, dtype_name(tensor->dtype));
        return -1;
    }
}

/* See nn.h. out holds tensor->count ints; I64 values are truncated to int. */
int safetensors_read_i32(const safetensors_file *file, const safetensors_tensor *tensor, int *out,
                         rlhf_error *error) {
    const unsigned char *data = file->bytes + file->data_offset + tensor->begin;
    for (size_t i = 0; i < tensor->count; i++) {
        switch (tensor->dtype) {
        case SAFETENSORS_I32: memcpy(&out[i], data + 4 * i, 4); break;
        case SAFETENSORS_I64: {
            int64_t x;
            memcpy(&x, data + 8 * i, 8);
            out[i] = (int)x;
            break;
        }
        case SAFETENSORS_U8: out[i] = data[i]; break;
        default:
            rlhf_error_set(error, "%s: tensor '%s' has dtype %s, expected an integer type", file->path,
                           tensor->name, dtype_name(tensor->dtype));
            return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ writer */

/* Empties writer for a new file. */
void safetensors_writer_init(safetensors_writer *writer) { memset(writer, 0, sizeof *writer); }

/* Records the writer's first failure (a later save reports it instead of writing a file
 * that lacks an entry) and returns -1. */
__attribute__((format(printf, 2, 3))) static int writer_fail(safetensors_writer *writer, const char *format, ...) {
    if (!writer->failed) {
        va_list arguments;
        va_start(arguments, format);
        vsnprintf(writer->failure.message, sizeof writer->failure.message, format, arguments);
        va_end(arguments);
    }
    writer->failed = true;
    return -1;
}

/* See nn.h. data is not copied: it must stay valid until the save. Fails (and the save
 * with it) on a name longer than 127 bytes, more than 8 dimensions or out of memory. */
int safetensors_writer_add(safetensors_writer *writer, const char *name, safetensors_dtype dtype,
                           int ndim, const int64_t *shape, const void *data) {
    size_t length = strlen(name);
    if (length >= sizeof writer->entries[0].name) return writer_fail(writer, "tensor name '%s' is too long", name);
    if (ndim < 0 || ndim > 8) return writer_fail(writer, "tensor '%s' has more than 8 dimensions", name);
    if (rlhf_grow(&writer->entries, &writer->capacity, (size_t)writer->count + 1, sizeof *writer->entries) != 0)
        return writer_fail(writer, "out of memory adding tensor '%s'", name);
    struct safetensors_entry *e = &writer->entries[writer->count++];
    memcpy(e->name, name, length + 1);
    e->dtype = dtype;
    e->ndim = ndim;
    for (int d = 0; d < ndim; d++) e->shape[d] = shape[d];
    e->data = data;
    return 0;
}

/* See nn.h. Keeps copies of key and value; fails (and the save with it) past 32 entries or
 * out of memory. */
int safetensors_writer_set_metadata(safetensors_writer *writer, const char *key, const char *value) {
    if (writer->metadata_count >= 32) return writer_fail(writer, "more than 32 metadata entries (at '%s')", key);
    char *key_copy = strdup(key), *value_copy = strdup(value);
    if (!key_copy || !value_copy) {
        free(key_copy);
        free(value_copy);
        return writer_fail(writer, "out of memory adding metadata '%s'", key);
    }
    writer->metadata_keys[writer->metadata_count] = key_copy;
    writer->metadata_values[writer->metadata_count++] = value_copy;
    return 0;
}

/* The JSON header of writer's entries (data_offsets laid out in order, no gaps), with each
 * entry's byte size in sizes[i]; NULL with error set when out of memory or a shape's byte
 * size does not fit in a size_t. */
static json_t *writer_header(const safetensors_writer *writer, size_t *sizes, const char *path, rlhf_error *error) {
    json_t *header = json_object();
    if (!header) goto out_of_memory;
    if (writer->metadata_count > 0) {
        json_t *metadata = json_object();
        if (json_object_set_new(header, "__metadata__", metadata) != 0) goto out_of_memory;
        for (int i = 0; i < writer->metadata_count; i++)
            if (json_object_set_new(metadata, writer->metadata_keys[i], rlhf_json_text(writer->metadata_values[i])) != 0)
                goto out_of_memory;
    }
    size_t offset = 0;
    for (int i = 0; i < writer->count; i++) {
        const struct safetensors_entry *e = &writer->entries[i];
        size_t bytes = dtype_size(e->dtype);
        if (json_object_get(header, e->name)) {
            rlhf_error_set(error, "%s: tensor '%s' added twice", path, e->name);
            json_decref(header);
            return NULL;
        }
        json_t *entry = json_object(), *shape = json_array(), *offsets = json_array();
        /* keys in the reference writer's order: dtype, shape, data_offsets */
        if (json_object_set_new(header, e->name, entry) != 0 ||
            json_object_set_new(entry, "dtype", json_string(dtype_name(e->dtype))) != 0 ||
            json_object_set_new(entry, "shape", shape) != 0 || json_object_set_new(entry, "data_offsets", offsets) != 0)
            goto out_of_memory;
        for (int d = 0; d < e->ndim; d++) {
            if (e->shape[d] < 0 || !rlhf_size_multiply(bytes, (size_t)e->shape[d], &bytes)) {
                rlhf_error_set(error, "%s: tensor '%s' has a negative or too large shape", path, e->name);
                json_decref(header);
                return NULL;
            }
            if (json_array_append_new(shape, json_integer(e->shape[d])) != 0) goto out_of_memory;
        }
        if (json_array_append_new(offsets, json_integer((json_int_t)offset)) != 0 ||
            json_array_append_new(offsets, json_integer((json_int_t)(offset + bytes))) != 0)
            goto out_of_memory;
        sizes[i] = bytes;
        offset += bytes;
    }
    return header;
out_of_memory: /* (or a name that is not UTF-8, which jansson refuses as a key) */
    json_decref(header);
    rlhf_error_set(error, "%s: cannot build the header (out of memory, or a name that is not UTF-8)", path);
    return NULL;
}

/* See nn.h: the header (padded with spaces to a multiple of 8 bytes, as the reference writer
 * does, so the data section is aligned) and the tensors' bytes, written atomically. Reports
 * a failure of an earlier add or set_metadata instead of writing. */
int safetensors_writer_save(safetensors_writer *writer, const char *path, rlhf_error *error) {
    if (writer->failed) {
        rlhf_error_set(error, "%s: %s", path, writer->failure.message);
        return -1;
    }
    size_t *sizes = calloc((size_t)writer->count + 2, sizeof(size_t));
    const void **chunks = calloc((size_t)writer->count + 2, sizeof(void *));
    if (!sizes || !chunks) {
        free(sizes);
        free(chunks);
        rlhf_error_set(error, "%s: out of memory", path);
        return -1;
    }
    json_t *header = writer_header(writer, sizes + 2, path, error);
    if (!header) {
        free(sizes);
        free(chunks);
        return -1;
    }
    char *text = json_dumps(header, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(header);
    size_t length = text ? strlen(text) : 0;
    size_t padded = (length + 7) & ~(size_t)7;
    char *header_text = text ? malloc(padded) : NULL;
    if (!header_text) {
        rlhf_error_set(error, "%s: out of memory building the header", path);
        free(text);
        free(chunks);
        free(sizes);
        return -1;
    }
    memcpy(header_text, text, length);
    memset(header_text + length, ' ', padded - length);
    free(text);
    for (int i = 0; i < writer->count; i++) chunks[i + 2] = writer->entries[i].data;
    uint64_t header_length = padded;
    chunks[0] = &header_length;
    sizes[0] = 8;
    chunks[1] = header_text;
    sizes[1] = padded;
    int status = rlhf_write_file_atomic_chunks(path, chunks, sizes, writer->count + 2, error);
    free(header_text);
    free(chunks);
    free(sizes);
    return status;
}

/* Frees the writer's copies (not the tensors' data) and empties it. */
void safetensors_writer_free(safetensors_writer *writer) {
    for (int i = 0; i < writer->metadata_count; i++) {
        free(writer->metadata_keys[i]);
        free(writer->metadata_values[i]);
    }
    free(writer->entries);
    memset(writer, 0, sizeof *writer);
}
