/* The tokenizer's hash tables (pair -> value, bytes -> two values) and its growable int
 * array. The lookups the hot loops call are inline in tokenizer_internal.h; what is here
 * makes, grows and fills the tables. Every allocation is checked: a failure leaves the table
 * as it was and reports -1 or NULL. */
#include "tokenizer_internal.h"

#include <stdlib.h>

/* The power of two (at least 16) that holds expected keys at most half full, in *capacity;
 * false when that would overflow. */
static bool table_capacity(size_t expected, size_t *capacity) {
    size_t grown = 16;
    while (grown / 2 < expected) {
        if (grown > SIZE_MAX / 2) return false;
        grown *= 2;
    }
    *capacity = grown;
    return true;
}

/* An empty map for expected keys, all slots EMPTY_PAIR; -1 when out of memory. */
int pair_map_init(pair_map *map, size_t expected) {
    memset(map, 0, sizeof *map);
    size_t capacity;
    if (!table_capacity(expected, &capacity) || rlhf_resize(&map->keys, capacity, sizeof *map->keys) != 0 ||
        rlhf_resize(&map->values, capacity, sizeof *map->values) != 0)
        return -1;
    map->capacity = capacity;
    memset(map->keys, 0xff, capacity * sizeof *map->keys);
    return 0;
}

void pair_map_free(pair_map *map) {
    free(map->keys);
    free(map->values);
    memset(map, 0, sizeof *map);
}

/* Doubles the table; -1 (the map unchanged) when out of memory. */
static int pair_map_grow(pair_map *map) {
    pair_map bigger;
    if (pair_map_init(&bigger, map->capacity) != 0) {
        pair_map_free(&bigger);
        return -1;
    }
    for (size_t i = 0; i < map->capacity; i++)
        if (map->keys[i] != EMPTY_PAIR) {
            size_t j = pair_map_slot(&bigger, map->keys[i]);
            bigger.keys[j] = map->keys[i];
            bigger.values[j] = map->values[i];
        }
    bigger.count = map->count;
    pair_map_free(map);
    *map = bigger;
    return 0;
}

/* key's value slot, inserted as initial when absent; NULL when the table cannot grow. */
int64_t *pair_map_insert(pair_map *map, uint64_t key, int64_t initial) {
    if (2 * (map->count + 1) > map->capacity && pair_map_grow(map) != 0) return NULL;
    size_t i = pair_map_slot(map, key);
    if (map->keys[i] == EMPTY_PAIR) {
        map->keys[i] = key;
        map->values[i] = initial;
        map->count++;
    }
    return &map->values[i];
}

/* An empty map for expected keys with a small arena; -1 when out of memory. */
int byte_map_init(byte_map *map, size_t expected) {
    memset(map, 0, sizeof *map);
    size_t capacity;
    if (!table_capacity(expected, &capacity)) return -1;
    map->slots = calloc(capacity, sizeof *map->slots);
    if (!map->slots || rlhf_grow(&map->arena, &map->arena_capacity, 4096, 1) != 0) return -1;
    map->capacity = capacity;
    return 0;
}

void byte_map_free(byte_map *map) {
    free(map->slots);
    free(map->arena);
    memset(map, 0, sizeof *map);
}

/* Doubles the table (keys stay in the arena); -1 (the map unchanged) when out of memory. */
static int byte_map_grow(byte_map *map) {
    if (map->capacity > SIZE_MAX / 2) return -1;
    size_t capacity = map->capacity * 2;
    byte_slot *slots = calloc(capacity, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < map->capacity; i++) {
        byte_slot *slot = &map->slots[i];
        if (!slot->hash) continue;
        size_t j = slot->hash & (capacity - 1);
        while (slots[j].hash) j = (j + 1) & (capacity - 1);
        slots[j] = *slot;
    }
    free(map->slots);
    map->slots = slots;
    map->capacity = capacity;
    return 0;
}

/* key's slot, its bytes copied into the arena when new; NULL when out of memory. */
byte_slot *byte_map_insert(byte_map *map, const void *key, size_t length, uint64_t hash, bool *inserted) {
    byte_slot *slot = byte_map_slot(map, key, length, hash);
    if (inserted) *inserted = false;
    if (slot->hash) return slot;
    if (2 * (map->count + 1) > map->capacity) {
        if (byte_map_grow(map) != 0) return NULL;
        slot = byte_map_slot(map, key, length, hash);
    }
    if (length > SIZE_MAX - map->arena_used ||
        rlhf_grow(&map->arena, &map->arena_capacity, map->arena_used + length, 1) != 0)
        return NULL;
    memcpy(map->arena + map->arena_used, key, length);
    slot->hash = hash;
    slot->offset = map->arena_used;
    slot->length = length;
    slot->value[0] = slot->value[1] = 0;
    map->arena_used += length;
    map->count++;
    if (inserted) *inserted = true;
    return slot;
}

/* Room for extra more items (rlhf_grow); -1 when out of memory, the vector unchanged. */
int int_vector_reserve(int_vector *vector, size_t extra) {
    if (extra > SIZE_MAX - vector->count) return -1;
    return rlhf_grow(&vector->items, &vector->capacity, vector->count + extra, sizeof *vector->items);
}
