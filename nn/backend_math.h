/* Element arithmetic both backends must do identically: the dropout mask (a pure function
 * of a seed and the element index, so the CPU and CUDA drop the same elements and backward
 * regenerates the mask instead of storing it), GELU with its derivative, and the AdamW
 * update of one parameter (bit for bit the same on both, as the parity test requires). nn/cpu compiles
 * these as C, nn/cuda as host and device functions: one definition, so the two cannot drift.
 * Assumes <math.h>'s tanhf (declared with a simd attribute by nn/cpu before including). */
#ifndef RLHF_NN_BACKEND_MATH_H
#define RLHF_NN_BACKEND_MATH_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __CUDACC__
#define NN_ELEMENT_FUNCTION __host__ __device__ __forceinline__
#else
#define NN_ELEMENT_FUNCTION static inline
#endif

/* A 64-bit mix of z (splitmix64's finaliser). */
NN_ELEMENT_FUNCTION uint64_t nn_mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The threshold on 32 random bits below which an element is dropped with probability p
 * (0 <= p < 1, as gpt_config validation guarantees). */
NN_ELEMENT_FUNCTION uint32_t nn_dropout_threshold(float p) { return (uint32_t)((double)p * 4294967296.0); }

/* The dropout multiplier of element i: 0 when its random bits fall below threshold, else
 * keep_scale = 1 / (1 - p). */
NN_ELEMENT_FUNCTION float nn_dropout_multiplier(uint64_t seed, size_t i, uint32_t threshold, float keep_scale) {
    uint32_t r = (uint32_t)(nn_mix64(seed + 0x9e3779b97f4a7c15ULL * ((uint64_t)i + 1)) >> 32);
    return r < threshold ? 0.0f : keep_scale;
}

/* 1 / temperature as both backends scale logits, (logit - max) * inverse: a multiply costs
 * a fraction of a divide in loops over 50,257 logits. The smallest normal float stands in
 * for a smaller T, whose inverse would overflow to inf (and inf * 0 = NaN for the maximum):
 * every logit gap above ~1e-37 still scales to -inf there, so such a T is greedy, as any
 * tiny one is. */
NN_ELEMENT_FUNCTION float nn_inverse_temperature(float temperature) { return 1.0f / fmaxf(temperature, FLT_MIN); }

#define NN_GELU_SCALE 0.7978845608028654f /* sqrt(2 / pi) */

/* GELU, tanh form (GPT-2's): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
NN_ELEMENT_FUNCTION float nn_gelu(float x) {
    return 0.5f * x * (1.0f + tanhf(NN_GELU_SCALE * (x + 0.044715f * x * x * x)));
}

/* d nn_gelu(x) / dx: with u = s (x + 0.044715 x^3), s = sqrt(2/pi),
 * 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) s (1 + 3 * 0.044715 x^2). */
NN_ELEMENT_FUNCTION float nn_gelu_derivative(float x) {
    float th = tanhf(NN_GELU_SCALE * (x + 0.044715f * x * x * x));
    float sech2 = 1.0f - th * th;
    return 0.5f * (1.0f + th) + 0.5f * x * sech2 * NN_GELU_SCALE * (1.0f + 3.0f * 0.044715f * x * x);
}

/* One AdamW step of parameter i (decoupled weight decay): moments m[i], v[i] updated with
 * the gradient grad[i] * grad_scale (grad_scale folds in clipping), then the parameter moved
 * by learning_rate times the bias-corrected step plus weight_decay * param[i]. */
NN_ELEMENT_FUNCTION void nn_adamw_element(float *param, const float *grad, float *m, float *v, size_t i,
                                          float learning_rate, float beta1, float beta2, float epsilon,
                                          float weight_decay, float bias_correction1, float bias_correction2,
                                          float grad_scale) {
    float g = grad[i] * grad_scale;
    float m_i = beta1 * m[i] + (1.0f - beta1) * g;
    float v_i = beta2 * v[i] + (1.0f - beta2) * g * g;
    m[i] = m_i;
    v[i] = v_i;
    float m_hat = m_i / bias_correction1;
    float v_hat = v_i / bias_correction2;
    param[i] -= learning_rate * (m_hat / (sqrtf(v_hat) + epsilon) + weight_decay * param[i]);
}

#endif
