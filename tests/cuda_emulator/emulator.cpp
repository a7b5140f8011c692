/* A CPU emulator of the CUDA runtime and cuBLAS, just enough to run the kernels of nn/cuda/
 * on a machine without a GPU: the test_cuda_emulated build compiles the .cu files of nn/cuda as C++
 * against this (launches rewritten by rewrite_launches.py) and runs tests/test_cuda.c, the
 * same CPU-vs-CUDA parity test that tests/gpu/run.sh runs on a real card.
 *
 * It is a pre-flight check, not a substitute for the GPU: it proves the kernels' index
 * arithmetic, reductions and barriers, the cuBLAS argument mappings and the host code
 * around them, on every CI run. What it cannot show: timing, real concurrency between
 * blocks, memory-model effects, and device limits it does not model.
 *
 * How threads run. Blocks run one after another. Within a block, thread 0 runs first: if it
 * finishes without reaching a barrier, the block has none and the other threads run one
 * after another to completion (fast, and most kernels are like that). Otherwise every
 * thread is a fiber (ucontext) and runs until its next barrier: __syncthreads waits for
 * the whole block, a warp shuffle for the 32 lanes of its warp. Between barriers the ready
 * fibers run in a fresh random order each round, so a missing barrier tends to show up as
 * a wrong result. A barrier that some threads of a block never reach, a shuffle in a warp
 * that is not complete, or a launch configuration a GPU refuses stops the program with a
 * message naming the block and thread.
 *
 * Memory. cudaMalloc returns host memory filled with 0xff bytes (NaN floats, -1 ints) so a
 * kernel that reads device memory nobody wrote fails the parity test here as it would on a
 * GPU (where fresh memory holds whatever was there before). Allocations are tracked: copies
 * must go in the direction their kind says, between a device range and host memory, and
 * every cuBLAS operand's whole extent must lie inside one allocation. Device memory can only
 * be touched from inside an emulated call (a kernel, a copy, a product): host code that
 * dereferences a device pointer stops with a message, as it would crash a GPU run. */
#include <cblas.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

/* AddressSanitizer's manual poisoning, when this is built with it (a no-op otherwise). */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(address, size) ((void)(address), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(address, size) ((void)(address), (void)(size))
#endif
#include <time.h>
#include <ucontext.h>

#include <algorithm>
#include <map>
#include <vector>

#include "cublas_v2.h"
#include "cuda_runtime.h"

uint3 threadIdx;
dim3 blockIdx, blockDim, gridDim;

/* ------------------------------------------------------------------ threads as fibers */

enum fiber_state { FIBER_NOT_STARTED, FIBER_READY, FIBER_AT_BLOCK_BARRIER, FIBER_AT_WARP_BARRIER, FIBER_DONE };

struct fiber {
    ucontext_t context;
    jmp_buf resume_point;
    fiber_state state;
    int shuffle_parity; /* which of two shuffle slots this lane writes next */
    int linear;         /* thread index within the block */
    bool entered;       /* fiber_entry runs on this slot's stack (waiting between blocks) */
    uint3 index;
};

static std::vector<fiber> fibers;
/* The stacks live as long as the process; the vector is never destroyed, so they stay
 * reachable (LeakSanitizer) after static destructors run. */
static std::vector<char *> &fiber_stacks = *new std::vector<char *>;
static const size_t FIBER_STACK_BYTES = 256 * 1024;
static fiber *current_fiber;
static jmp_buf scheduler_point;
static std::function<void()> *kernel_body;
static bool running_without_fibers;
static uint64_t shuffle_slots[32][2][32]; /* [warp][parity][lane] */
static unsigned int order_state = 12345;

/* Stops the program: the emulated kernel did something a GPU would refuse or that is
 * undefined there. */
[[noreturn]] static void emulator_fail(const char *what) {
    if (kernel_body)
        fprintf(stderr, "CUDA EMULATOR: %s (block %u,%u,%u thread %u,%u,%u)\n", what, blockIdx.x, blockIdx.y,
                blockIdx.z, threadIdx.x, threadIdx.y, threadIdx.z);
    else
        fprintf(stderr, "CUDA EMULATOR: %s\n", what);
    abort();
}

static void set_device_access(bool open);

/* The pool is open for the lifetime of one of these: every emulated call that touches
 * device memory starts with one. */
struct device_access {
    device_access() { set_device_access(true); }
    ~device_access() { set_device_access(false); }
};

/* The entry of every fiber, entered once per fiber slot: runs the kernel body as this
 * thread, returns to the scheduler, and waits there to run as a thread of a later block
 * (so starting a thread costs a _longjmp, not getcontext and setcontext, which are system
 * calls: they were a fifth of the emulator's time). */
static void fiber_entry() {
    for (;;) {
        (*kernel_body)();
        current_fiber->state = FIBER_DONE;
        if (!_setjmp(current_fiber->resume_point)) _longjmp(scheduler_point, 1);
        /* resumed by resume_fiber as a fresh thread */
    }
}

/* Leaves the current fiber for the scheduler; returns when the scheduler resumes it. */
static void yield_to_scheduler() {
    if (!_setjmp(current_fiber->resume_point)) _longjmp(scheduler_point, 1);
}

/* Runs fiber f until it reaches a barrier or finishes. */
static void resume_fiber(fiber *f) {
    current_fiber = f;
    threadIdx = f->index;
    if (_setjmp(scheduler_point) == 0) {
        if (f->state == FIBER_NOT_STARTED && !f->entered) {
            f->state = FIBER_READY;
            f->entered = true;
            setcontext(&f->context);
        } else {
            f->state = FIBER_READY;
            _longjmp(f->resume_point, 1);
        }
    }
}

/* The lane of the calling thread within its warp. */
int emulator_lane() { return current_fiber->linear & 31; }

/* __syncthreads: waits until every thread of the block that has not finished is here. */
void __syncthreads() {
    if (running_without_fibers) emulator_fail("__syncthreads reached by a thread after thread 0 finished without one");
    current_fiber->state = FIBER_AT_BLOCK_BARRIER;
    yield_to_scheduler();
}

/* A warp shuffle: publishes this lane's bits, waits for the whole warp, returns the bits of
 * source_lane. Two slots alternate so back-to-back shuffles never overwrite unread values. */
uint64_t emulator_shuffle(uint64_t bits, int source_lane) {
    if (running_without_fibers) emulator_fail("warp shuffle reached by a thread after thread 0 finished without one");
    if (source_lane < 0 || source_lane > 31) emulator_fail("shuffle source lane out of range");
    int warp = current_fiber->linear >> 5, lane = current_fiber->linear & 31, parity = current_fiber->shuffle_parity;
    current_fiber->shuffle_parity ^= 1;
    shuffle_slots[warp][parity][lane] = bits;
    current_fiber->state = FIBER_AT_WARP_BARRIER;
    yield_to_scheduler();
    return shuffle_slots[warp][parity][source_lane];
}

/* Sets up fiber f to run the kernel body as thread `linear` of the block. */
static void prepare_fiber(fiber *f, int linear, uint3 index) {
    f->state = FIBER_NOT_STARTED;
    f->shuffle_parity = 0;
    f->linear = linear;
    f->index = index;
    if (f->entered) return; /* its fiber_entry loop waits at resume_point */
    getcontext(&f->context);
    f->context.uc_stack.ss_sp = fiber_stacks[linear];
    f->context.uc_stack.ss_size = FIBER_STACK_BYTES;
    f->context.uc_link = NULL;
    makecontext(&f->context, fiber_entry, 0);
}

/* The 3-D index of thread `linear` of a block of blockDim's shape. */
static uint3 thread_index(int linear) {
    uint3 index = {linear % blockDim.x, (linear / blockDim.x) % blockDim.y, linear / (blockDim.x * blockDim.y)};
    return index;
}

/* Runs one block of `threads` threads (blockIdx set by the caller), as the header says. */
static void run_block(int threads) {
    prepare_fiber(&fibers[0], 0, thread_index(0));
    resume_fiber(&fibers[0]);
    if (fibers[0].state == FIBER_DONE) {
        running_without_fibers = true;
        for (int t = 1; t < threads; t++) {
            threadIdx = thread_index(t);
            (*kernel_body)();
        }
        running_without_fibers = false;
        return;
    }
    for (int t = 1; t < threads; t++) prepare_fiber(&fibers[t], t, thread_index(t));
    std::vector<int> order;
    for (;;) {
        order.clear();
        for (int t = 0; t < threads; t++)
            if (fibers[t].state == FIBER_READY || fibers[t].state == FIBER_NOT_STARTED) order.push_back(t);
        for (size_t i = order.size(); i > 1; i--) std::swap(order[i - 1], order[rand_r(&order_state) % i]);
        for (int t : order) resume_fiber(&fibers[t]);

        int done = 0, at_block_barrier = 0;
        for (int t = 0; t < threads; t++) {
            done += fibers[t].state == FIBER_DONE;
            at_block_barrier += fibers[t].state == FIBER_AT_BLOCK_BARRIER;
        }
        if (done == threads) return;
        bool released = false;
        if (at_block_barrier > 0 && at_block_barrier == threads - done) {
            for (int t = 0; t < threads; t++)
                if (fibers[t].state == FIBER_AT_BLOCK_BARRIER) fibers[t].state = FIBER_READY;
            released = true;
        }
        for (int warp = 0; warp * 32 < threads; warp++) {
            int waiting = 0, finished = 0, lanes = std::min(32, threads - warp * 32);
            for (int lane = 0; lane < lanes; lane++) {
                waiting += fibers[warp * 32 + lane].state == FIBER_AT_WARP_BARRIER;
                finished += fibers[warp * 32 + lane].state == FIBER_DONE;
            }
            if (waiting > 0 && waiting + finished == lanes) {
                if (finished > 0 || lanes < 32) emulator_fail("warp shuffle with lanes that finished or do not exist");
                for (int lane = 0; lane < lanes; lane++) fibers[warp * 32 + lane].state = FIBER_READY;
                released = true;
            }
        }
        if (!released) {
            for (int t = 0; t < threads; t++) fprintf(stderr, "  thread %d: state %d\n", t, fibers[t].state);
            emulator_fail("deadlock: the threads wait at different barriers");
        }
    }
}

/* A kernel launch: checks the configuration as a GPU would, then runs every block. */
void emulator_launch(dim3 grid, dim3 block, std::function<void()> body) {
    long long threads = (long long)block.x * block.y * block.z;
    if (threads <= 0 || threads > 1024 || block.z > 64 || grid.x == 0 || grid.y == 0 || grid.z == 0 ||
        grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535)
        emulator_fail("invalid launch configuration");
    if ((int)fibers.size() < threads) {
        fibers.resize(threads);
        while ((long long)fiber_stacks.size() < threads) fiber_stacks.push_back((char *)malloc(FIBER_STACK_BYTES));
    }
    device_access open;
    kernel_body = &body;
    gridDim = grid;
    blockDim = block;
    for (unsigned z = 0; z < grid.z; z++)
        for (unsigned y = 0; y < grid.y; y++)
            for (unsigned x = 0; x < grid.x; x++) {
                blockIdx = dim3(x, y, z);
                run_block((int)threads);
            }
    kernel_body = NULL; /* outside a kernel again (for emulator_fail's message) */
}

/* ------------------------------------------------------------------ memory */

/* Device memory is a pool of its own: one large reservation of address space, handed out
 * in whole pages, kept PROT_NONE. Inside an emulated call (a kernel, a copy, a memset, a
 * product) the pages it touches are opened: copies and products open their operands'
 * extents, and a kernel's first touch of a closed page faults and opens a 256 KiB window
 * of that allocation around it. When the call returns, everything opened is closed again.
 * So host code that reads or writes device memory directly, which works by accident on
 * the CPU and crashes on a GPU, stops at the faulting instruction with a message, and so
 * does a kernel that touches pool pages outside every live allocation. (Opening and closing
 * the whole pool at every call instead costs time in proportion to its resident pages:
 * minutes for the 124M-parameter tests.) */
static const size_t POOL_RESERVED_BYTES = (size_t)1 << 40; /* address space only */
static const size_t POOL_PAGE = 4096;
static const size_t FAULT_WINDOW = 64 * POOL_PAGE;
static char *pool_base;
static size_t pool_high_water;                  /* end of the furthest page ever handed out */
static std::map<uintptr_t, size_t> allocations; /* start address -> bytes asked for */
static std::map<size_t, size_t> free_ranges;    /* pool offset -> bytes, coalesced */
static int device_access_depth;                 /* > 0 inside an emulated call */
static struct sigaction previous_segv_action;

/* What the current call has opened: page ranges, coalesced when one follows the last; past
 * OPEN_RANGES_MAX the whole pool is opened instead (fewer mappings than the kernel allows). */
struct open_range {
    char *start;
    size_t bytes;
};
static const int OPEN_RANGES_MAX = 16384;
static open_range open_ranges[OPEN_RANGES_MAX];
static int open_range_count;
static bool pool_wide_open;

/* Changes the protection of pool pages, or stops the program (an emulator fault). */
static void protect_pages(char *start, size_t bytes, int protection) {
    if (bytes && mprotect(start, bytes, protection) != 0) {
        perror("CUDA EMULATOR: mprotect of the device pool");
        abort();
    }
}

/* bytes rounded up to whole pages. */
static size_t whole_pages(size_t bytes) { return (bytes + POOL_PAGE - 1) / POOL_PAGE * POOL_PAGE; }

/* The live allocation starting at or before address (the only one that can hold it), or
 * allocations.end(). */
static std::map<uintptr_t, size_t>::iterator allocation_at_or_before(const void *address) {
    auto after = allocations.upper_bound((uintptr_t)address);
    return after == allocations.begin() ? allocations.end() : std::prev(after);
}

/* The page-aligned allocation (start, bytes rounded up to pages) holding address, or false. */
static bool allocation_pages_of(const char *address, char **start, size_t *bytes) {
    auto found = allocation_at_or_before(address);
    if (found == allocations.end()) return false;
    size_t pages = whole_pages(found->second);
    if ((uintptr_t)address >= found->first + pages) return false;
    *start = (char *)found->first;
    *bytes = pages;
    return true;
}

/* Opens [start, start + bytes) rounded out to pages for the current call. */
static void open_pages(const void *start, size_t bytes) {
    if (pool_wide_open || bytes == 0) return;
    char *first = pool_base + ((const char *)start - pool_base) / POOL_PAGE * POOL_PAGE;
    char *end = pool_base + whole_pages((size_t)((const char *)start - pool_base) + bytes);
    if (open_range_count == OPEN_RANGES_MAX) {
        protect_pages(pool_base, pool_high_water, PROT_READ | PROT_WRITE);
        pool_wide_open = true;
        return;
    }
    protect_pages(first, (size_t)(end - first), PROT_READ | PROT_WRITE);
    open_range *last = open_range_count ? &open_ranges[open_range_count - 1] : NULL;
    if (last && last->start + last->bytes == first) {
        last->bytes += (size_t)(end - first);
    } else {
        open_ranges[open_range_count].start = first;
        open_ranges[open_range_count].bytes = (size_t)(end - first);
        open_range_count++;
    }
}

/* Closes everything the current call opened. */
static void close_open_pages() {
    if (pool_wide_open) {
        protect_pages(pool_base, pool_high_water, PROT_NONE);
        pool_wide_open = false;
    } else {
        for (int i = 0; i < open_range_count; i++) protect_pages(open_ranges[i].start, open_ranges[i].bytes, PROT_NONE);
    }
    open_range_count = 0;
}

/* Enters (open = true) or leaves an emulated call; nests; leaving the outermost closes the pool. */
static void set_device_access(bool open) {
    if (open) {
        device_access_depth++;
    } else if (--device_access_depth == 0) {
        close_open_pages();
    }
}

/* A fault inside the pool: inside an emulated call and inside a live allocation, a kernel's
 * first touch of a closed page (open a window around it and go on); otherwise host code
 * touching device memory, or a touch outside every allocation: say which and stop. Faults
 * elsewhere go to the handler that was there before (or the default action). */
static void device_fault_handler(int signal_number, siginfo_t *info, void *context) {
    char *address = (char *)info->si_addr;
    if (pool_base && address >= pool_base && address < pool_base + POOL_RESERVED_BYTES) {
        char *start;
        size_t bytes;
        bool in_allocation = allocation_pages_of(address, &start, &bytes);
        if (device_access_depth > 0 && in_allocation && !pool_wide_open) {
            size_t window = (size_t)(address - start) / FAULT_WINDOW * FAULT_WINDOW;
            size_t length = bytes - window < FAULT_WINDOW ? bytes - window : FAULT_WINDOW;
            open_pages(start + window, length);
            return; /* the faulting access runs again, now on an open page */
        }
        if (device_access_depth > 0)
            fprintf(stderr, "CUDA EMULATOR: a kernel touched device memory outside every live allocation at %p\n",
                    (void *)address);
        else
            fprintf(stderr,
                    "CUDA EMULATOR: host code read or wrote device memory directly at %p%s; on a GPU this is a "
                    "crash: copy it with cudaMemcpy instead\n",
                    (void *)address, in_allocation ? "" : " (not even a live allocation)");
        signal(SIGABRT, SIG_DFL);
        abort();
    }
    if (previous_segv_action.sa_flags & SA_SIGINFO) {
        previous_segv_action.sa_sigaction(signal_number, info, context);
    } else if (previous_segv_action.sa_handler != SIG_IGN && previous_segv_action.sa_handler != SIG_DFL) {
        previous_segv_action.sa_handler(signal_number);
    } else {
        signal(signal_number, SIG_DFL); /* returning re-runs the instruction: the default action */
    }
}

/* Reserves the pool and installs the fault handler, on the first cudaMalloc. */
static void reserve_pool() {
    void *base = mmap(NULL, POOL_RESERVED_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) {
        perror("CUDA EMULATOR: reserving the device pool");
        abort();
    }
    pool_base = (char *)base;
    free_ranges[POOL_PAGE] = POOL_RESERVED_BYTES - POOL_PAGE; /* page 0 guards the first allocation */
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = device_fault_handler;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &previous_segv_action);
}

/* Whether [pointer, pointer + bytes) lies inside one live allocation. */
bool emulator_is_device_range(const void *pointer, size_t bytes) {
    auto found = allocation_at_or_before(pointer);
    return found != allocations.end() && (uintptr_t)pointer + bytes <= found->first + found->second;
}

/* Whether pointer points into any live allocation (one byte). */
static bool is_device_pointer(const void *pointer) { return emulator_is_device_range(pointer, 1); }

/* First fit from the pool's free ranges: whole pages and one more, a guard page that is
 * never opened, so a kernel running past the end of an allocation (or before the start of
 * the next) faults outside every allocation. Under AddressSanitizer the slack between the
 * allocation's end and its last page's end is poisoned too, so an overrun by a single
 * element is caught. Fresh memory reads as 0xff bytes. */
cudaError_t cudaMalloc(void **pointer, size_t bytes) {
    if (!pool_base) reserve_pool();
    size_t size = bytes ? bytes : 1, pages = whole_pages(size);
    size_t taken = pages + POOL_PAGE;
    auto range = free_ranges.begin();
    while (range != free_ranges.end() && range->second < taken) ++range;
    if (range == free_ranges.end()) return cudaErrorMemoryAllocation;
    size_t offset = range->first, left = range->second - taken;
    free_ranges.erase(range);
    if (left) free_ranges[offset + taken] = left;
    if (offset + taken > pool_high_water) pool_high_water = offset + taken;
    *pointer = pool_base + offset;
    device_access open;
    open_pages(*pointer, pages);
    memset(*pointer, 0xff, pages); /* device memory is not zeroed: make unwritten reads visible */
    ASAN_POISON_MEMORY_REGION((char *)*pointer + size, pages - size);
    allocations[(uintptr_t)*pointer] = size;
    return cudaSuccess;
}

/* Returns the pages to the pool (and their memory to the system). */
cudaError_t cudaFree(void *pointer) {
    if (!pointer) return cudaSuccess;
    auto found = allocations.find((uintptr_t)pointer);
    if (found == allocations.end()) emulator_fail("cudaFree of a pointer cudaMalloc did not return");
    size_t offset = (char *)pointer - pool_base, pages = whole_pages(found->second);
    allocations.erase(found);
    ASAN_UNPOISON_MEMORY_REGION(pointer, pages);
    madvise(pointer, pages, MADV_DONTNEED);
    pages += POOL_PAGE; /* and its guard page */
    auto next = free_ranges.lower_bound(offset);
    if (next != free_ranges.end() && next->first == offset + pages) {
        pages += next->second;
        free_ranges.erase(next);
    }
    auto previous = free_ranges.lower_bound(offset);
    if (previous != free_ranges.begin() && std::prev(previous)->first + std::prev(previous)->second == offset) {
        std::prev(previous)->second += pages;
    } else {
        free_ranges[offset] = pages;
    }
    return cudaSuccess;
}

cudaError_t cudaMemset(void *pointer, int value, size_t bytes) {
    if (bytes && !emulator_is_device_range(pointer, bytes)) emulator_fail("cudaMemset outside a device allocation");
    device_access open;
    open_pages(pointer, bytes);
    memset(pointer, value, bytes);
    return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void *pointer, int value, size_t bytes, cudaStream_t) {
    return cudaMemset(pointer, value, bytes);
}

cudaError_t cudaMemcpy(void *destination, const void *source, size_t bytes, cudaMemcpyKind kind) {
    if (bytes == 0) return cudaSuccess;
    bool destination_on_device = emulator_is_device_range(destination, bytes);
    bool source_on_device = emulator_is_device_range(source, bytes);
    bool ok = (kind == cudaMemcpyHostToDevice && destination_on_device && !is_device_pointer(source)) ||
              (kind == cudaMemcpyDeviceToHost && source_on_device && !is_device_pointer(destination)) ||
              (kind == cudaMemcpyDeviceToDevice && source_on_device && destination_on_device);
    if (!ok) emulator_fail("cudaMemcpy whose pointers do not match its kind (or run past an allocation)");
    device_access open;
    if (source_on_device) open_pages(source, bytes);
    if (destination_on_device) open_pages(destination, bytes);
    memmove(destination, source, bytes);
    return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void *destination, const void *source, size_t bytes, cudaMemcpyKind kind, cudaStream_t) {
    return cudaMemcpy(destination, source, bytes, kind);
}

/* ------------------------------------------------------------------ device and errors */

const char *cudaGetErrorString(cudaError_t error) {
    switch (error) {
    case cudaSuccess: return "no error";
    case cudaErrorInsufficientDriver: return "CUDA driver version is insufficient for CUDA runtime version (emulated)";
    case cudaErrorMemoryAllocation: return "out of memory (emulated)";
    default: return "invalid argument (emulated)";
    }
}

cudaError_t cudaGetLastError() { return cudaSuccess; }
cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }

/* One device, unless EMULATOR_NO_GPU is set: then none, as on a machine without a driver. */
cudaError_t cudaGetDeviceCount(int *count) {
    if (getenv("EMULATOR_NO_GPU")) return cudaErrorInsufficientDriver;
    *count = 1;
    return cudaSuccess;
}

/* The pool's size as the total, less the live allocations' bytes as what is free. */
cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total_bytes) {
    size_t used = 0;
    for (const auto &allocation : allocations) used += allocation.second;
    *free_bytes = POOL_RESERVED_BYTES - used;
    *total_bytes = POOL_RESERVED_BYTES;
    return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) { return device == 0 ? cudaSuccess : cudaErrorInvalidValue; }

cudaError_t cudaGetDeviceProperties(cudaDeviceProp *properties, int) {
    memset(properties, 0, sizeof *properties);
    snprintf(properties->name, sizeof properties->name, "CUDA emulator on the CPU");
    properties->major = 9;
    properties->minor = 0;
    properties->multiProcessorCount = 132;
    properties->totalGlobalMem = (size_t)80 << 30;
    return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int *value, cudaDeviceAttr, int) {
    *value = 1980000; /* the only attribute asked for is the clock rate, in kHz */
    return cudaSuccess;
}

struct emulator_event {
    double seconds;
};

/* Monotonic wall time in seconds. */
static double now_seconds() {
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec + now.tv_nsec * 1e-9;
}

cudaError_t cudaEventCreate(cudaEvent_t *event) {
    *event = new emulator_event();
    return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t event) {
    delete event;
    return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t) {
    event->seconds = now_seconds();
    return cudaSuccess;
}
cudaError_t cudaEventSynchronize(cudaEvent_t) { return cudaSuccess; }
cudaError_t cudaEventElapsedTime(float *milliseconds, cudaEvent_t start, cudaEvent_t stop) {
    *milliseconds = (float)((stop->seconds - start->seconds) * 1e3);
    return cudaSuccess;
}

/* ------------------------------------------------------------------ cuBLAS */

struct emulator_blas {
    cublasMath_t math;
};
static emulator_blas the_handle;

cublasStatus_t cublasCreate(cublasHandle_t *handle) {
    the_handle.math = CUBLAS_DEFAULT_MATH;
    *handle = &the_handle;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
    handle->math = mode;
    return CUBLAS_STATUS_SUCCESS;
}

const char *cublasGetStatusString(cublasStatus_t status) {
    return status == CUBLAS_STATUS_SUCCESS ? "CUBLAS_STATUS_SUCCESS" : "CUBLAS_STATUS_INVALID_VALUE (emulated)";
}

/* x rounded to TF32 (10 mantissa bits, to nearest), as tensor cores read their inputs. */
static float round_to_tf32(float x) {
    uint32_t bits;
    memcpy(&bits, &x, 4);
    bits = (bits + 0x1000u) & 0xffffe000u;
    memcpy(&x, &bits, 4);
    return x;
}

/* A dense column-major copy of a rows x cols matrix (leading dimension ld), rounded to TF32. */
static std::vector<float> tf32_copy(const float *a, int rows, int cols, int ld) {
    std::vector<float> out((size_t)rows * cols);
    for (int c = 0; c < cols; c++)
        for (int r = 0; r < rows; r++) out[(size_t)c * rows + r] = round_to_tf32(a[(size_t)c * ld + r]);
    return out;
}

/* Whether a column-major rows x cols matrix at a with leading dimension ld lies in one allocation. */
static bool matrix_in_allocation(const float *a, int rows, int cols, int ld) {
    if (rows == 0 || cols == 0) return true;
    return emulator_is_device_range(a, sizeof(float) * ((size_t)(cols - 1) * ld + rows));
}

/* One column-major product C = alpha op(A) op(B) + beta C, with cuBLAS's argument checks and
 * the operands' extents checked against their allocations. */
static cublasStatus_t gemm_one(bool tf32, cublasOperation_t op_a, cublasOperation_t op_b, int m, int n, int k,
                               float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c,
                               int ldc) {
    int a_rows = op_a == CUBLAS_OP_N ? m : k, a_cols = op_a == CUBLAS_OP_N ? k : m;
    int b_rows = op_b == CUBLAS_OP_N ? k : n, b_cols = op_b == CUBLAS_OP_N ? n : k;
    if (m < 0 || n < 0 || k < 0 || lda < std::max(1, a_rows) || ldb < std::max(1, b_rows) || ldc < std::max(1, m)) {
        fprintf(stderr, "CUDA EMULATOR: invalid gemm m %d n %d k %d lda %d ldb %d ldc %d\n", m, n, k, lda, ldb, ldc);
        return CUBLAS_STATUS_INVALID_VALUE;
    }
    if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
    if ((k > 0 && (!matrix_in_allocation(a, a_rows, a_cols, lda) || !matrix_in_allocation(b, b_rows, b_cols, ldb))) ||
        !matrix_in_allocation(c, m, n, ldc))
        emulator_fail("a gemm operand runs past its device allocation (or is host memory)");
    /* the OpenMP threads of cblas_sgemm must not fault: open every operand's extent first */
    device_access open;
    if (k > 0) {
        open_pages(a, sizeof(float) * ((size_t)(a_cols - 1) * lda + a_rows));
        open_pages(b, sizeof(float) * ((size_t)(b_cols - 1) * ldb + b_rows));
    }
    open_pages(c, sizeof(float) * ((size_t)(n - 1) * ldc + m));
    std::vector<float> rounded_a, rounded_b;
    if (tf32 && k > 0) {
        rounded_a = tf32_copy(a, a_rows, a_cols, lda);
        rounded_b = tf32_copy(b, b_rows, b_cols, ldb);
        a = rounded_a.data();
        lda = std::max(1, a_rows);
        b = rounded_b.data();
        ldb = std::max(1, b_rows);
    }
    cblas_sgemm(CblasColMajor, op_a == CUBLAS_OP_N ? CblasNoTrans : CblasTrans,
                op_b == CUBLAS_OP_N ? CblasNoTrans : CblasTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSgemm(cublasHandle_t handle, cublasOperation_t op_a, cublasOperation_t op_b, int m, int n, int k,
                           const float *alpha, const float *a, int lda, const float *b, int ldb, const float *beta,
                           float *c, int ldc) {
    return gemm_one(handle->math == CUBLAS_TF32_TENSOR_OP_MATH, op_a, op_b, m, n, k, *alpha, a, lda, b, ldb, *beta, c,
                    ldc);
}

cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t, cublasOperation_t op_a, cublasOperation_t op_b, int m,
                                          int n, int k, const void *alpha, const void *a, cudaDataType, int lda,
                                          long long stride_a, const void *b, cudaDataType, int ldb,
                                          long long stride_b, const void *beta, void *c, cudaDataType, int ldc,
                                          long long stride_c, int batch, cublasComputeType_t compute,
                                          cublasGemmAlgo_t) {
    if (batch < 0) return CUBLAS_STATUS_INVALID_VALUE;
    for (int i = 0; i < batch; i++) {
        cublasStatus_t status =
            gemm_one(compute == CUBLAS_COMPUTE_32F_FAST_TF32, op_a, op_b, m, n, k, *(const float *)alpha,
                     (const float *)a + i * stride_a, lda, (const float *)b + i * stride_b, ldb,
                     *(const float *)beta, (float *)c + i * stride_c, ldc);
        if (status != CUBLAS_STATUS_SUCCESS) return status;
    }
    return CUBLAS_STATUS_SUCCESS;
}
