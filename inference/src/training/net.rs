//! A small, deterministic MLP trainer in plain `f64`: fixed loop order, no threads, seeded shuffles,
//! `libm` for `exp`, so the same command gives the same weights on every machine.

use super::data::Rng;

/// One dense layer, `w` row-major `[outputs][inputs]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    /// Input width.
    pub inputs: usize,
    /// Output width.
    pub outputs: usize,
    /// Weights, row-major by output.
    pub w: Vec<f64>,
    /// Biases.
    pub b: Vec<f64>,
}

/// The loss to minimise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    /// Mean squared error on a linear output.
    MeanSquared,
    /// Binary cross-entropy on a sigmoid output.
    BinaryCrossEntropy,
}

/// Training settings.
#[derive(Debug, Clone, Copy)]
pub struct TrainConfig {
    /// Passes over the data.
    pub epochs: usize,
    /// Samples per step.
    pub batch: usize,
    /// Adam step size.
    pub learning_rate: f64,
    /// Seed of initialisation and shuffles.
    pub seed: u64,
}

/// A multilayer perceptron with ReLU between layers.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// The layers, input first.
    pub layers: Vec<Dense>,
}

impl Network {
    /// He-initialised network with the given widths.
    pub fn new(widths: &[usize], rng: &mut Rng) -> Self {
        let layers = widths
            .windows(2)
            .map(|pair| {
                let scale = libm::sqrt(2.0 / pair[0] as f64);
                Dense {
                    inputs: pair[0],
                    outputs: pair[1],
                    w: (0..pair[0] * pair[1]).map(|_| rng.normal() * scale).collect(),
                    b: vec![0.0; pair[1]],
                }
            })
            .collect();
        Self { layers }
    }

    /// Activations of every layer (ReLU on hidden layers, linear last layer), input first.
    fn activations(&self, x: &[f64]) -> Vec<Vec<f64>> {
        let mut acts = vec![x.to_vec()];
        for (l, layer) in self.layers.iter().enumerate() {
            let input = &acts[l];
            let mut out = layer.b.clone();
            for (o, value) in out.iter_mut().enumerate() {
                let row = &layer.w[o * layer.inputs..(o + 1) * layer.inputs];
                *value += row.iter().zip(input).map(|(w, x)| w * x).sum::<f64>();
                if l + 1 < self.layers.len() {
                    *value = value.max(0.0);
                }
            }
            acts.push(out);
        }
        acts
    }

    /// The network's raw (pre-activation) output for one sample.
    pub fn predict(&self, x: &[f64]) -> Vec<f64> {
        self.activations(x).pop().unwrap_or_default()
    }

    /// Trains in place with Adam; returns the final epoch's mean loss.
    pub fn train(&mut self, xs: &[Vec<f64>], ys: &[f64], loss: Loss, config: TrainConfig) -> f64 {
        let mut rng = Rng::new(config.seed);
        let mut adam = Adam::new(self);
        let mut order: Vec<usize> = (0..xs.len()).collect();
        let mut epoch_loss = 0.0;
        for _ in 0..config.epochs {
            for i in (1..order.len()).rev() {
                order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
            }
            epoch_loss = 0.0;
            for batch in order.chunks(config.batch) {
                let mut grads = self.zeros();
                for &i in batch {
                    epoch_loss += self.accumulate(&xs[i], ys[i], loss, &mut grads);
                }
                adam.step(self, &grads, batch.len() as f64, config.learning_rate);
            }
            epoch_loss /= xs.len() as f64;
        }
        epoch_loss
    }

    fn zeros(&self) -> Vec<Dense> {
        self.layers
            .iter()
            .map(|l| Dense { w: vec![0.0; l.w.len()], b: vec![0.0; l.b.len()], ..*l })
            .collect()
    }

    /// Backpropagates one sample into `grads`; returns its loss.
    fn accumulate(&self, x: &[f64], y: f64, loss: Loss, grads: &mut [Dense]) -> f64 {
        let acts = self.activations(x);
        let out = acts[acts.len() - 1][0];
        let (value, mut delta) = match loss {
            Loss::MeanSquared => ((out - y) * (out - y), vec![2.0 * (out - y)]),
            Loss::BinaryCrossEntropy => {
                let p = 1.0 / (1.0 + libm::exp(-out));
                let p = p.clamp(1e-12, 1.0 - 1e-12);
                (-(y * libm::log(p) + (1.0 - y) * libm::log(1.0 - p)), vec![p - y])
            }
        };
        for l in (0..self.layers.len()).rev() {
            let layer = &self.layers[l];
            let input = &acts[l];
            let mut previous = vec![0.0; layer.inputs];
            for (o, d) in delta.iter().enumerate() {
                grads[l].b[o] += d;
                let row = o * layer.inputs..(o + 1) * layer.inputs;
                for ((g, w), (x, p)) in grads[l].w[row.clone()]
                    .iter_mut()
                    .zip(&layer.w[row])
                    .zip(input.iter().zip(previous.iter_mut()))
                {
                    *g += d * x;
                    *p += d * w;
                }
            }
            if l > 0 {
                for (d, a) in previous.iter_mut().zip(&acts[l]) {
                    if *a <= 0.0 {
                        *d = 0.0; // ReLU
                    }
                }
            }
            delta = previous;
        }
        value
    }
}

/// Adam optimiser state.
struct Adam {
    m: Vec<Dense>,
    v: Vec<Dense>,
    t: i32,
}

impl Adam {
    fn new(net: &Network) -> Self {
        Self { m: net.zeros(), v: net.zeros(), t: 0 }
    }

    fn step(&mut self, net: &mut Network, grads: &[Dense], n: f64, lr: f64) {
        const B1: f64 = 0.9;
        const B2: f64 = 0.999;
        self.t += 1;
        let (c1, c2) = (1.0 - libm::pow(B1, self.t.into()), 1.0 - libm::pow(B2, self.t.into()));
        for (((layer, grad), m), v) in
            net.layers.iter_mut().zip(grads).zip(&mut self.m).zip(&mut self.v)
        {
            let pairs = [
                (&mut layer.w, &grad.w, &mut m.w, &mut v.w),
                (&mut layer.b, &grad.b, &mut m.b, &mut v.b),
            ];
            for (params, grad, m, v) in pairs {
                for i in 0..params.len() {
                    let g = grad[i] / n;
                    m[i] = B1 * m[i] + (1.0 - B1) * g;
                    v[i] = B2 * v[i] + (1.0 - B2) * g * g;
                    params[i] -= lr * (m[i] / c1) / (libm::sqrt(v[i] / c2) + 1e-8);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_simple_function_deterministically() {
        let mut rng = Rng::new(1);
        let xs: Vec<Vec<f64>> =
            (0..256).map(|_| vec![rng.range(-1.0, 1.0), rng.range(-1.0, 1.0)]).collect();
        let ys: Vec<f64> = xs.iter().map(|x| (x[0] - 0.5 * x[1]).abs()).collect();
        let config = TrainConfig { epochs: 60, batch: 16, learning_rate: 0.01, seed: 2 };
        let train = || {
            let mut net = Network::new(&[2, 16, 1], &mut Rng::new(3));
            let loss = net.train(&xs, &ys, Loss::MeanSquared, config);
            (net, loss)
        };
        let (a, loss) = train();
        assert!(loss < 0.01, "fits |x0 - x1/2|: loss {loss}");
        assert_eq!(a, train().0, "bit-identical retraining");
    }
}
