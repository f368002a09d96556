// What a network predicts, and the conversions between the four targets (docs/theory.md), for
// x = alpha x0 + sigma eps at one time of a schedule:
//   eps   = (x - alpha x0) / sigma,       x0 = (x - sigma eps) / alpha   (Tweedie),
//   score = -eps / sigma,                 v  = alpha' x0 + sigma' eps      (velocity).
// Every conversion goes through the pair (x0, eps); velocity inverts [x; v] = [[alpha, sigma],
// [alpha', sigma']] [x0; eps], whose determinant is alpha sigma' - alpha' sigma.
// Twin of core::param::convert (which works in f64; this works in f32).

const PARAM_EPS: u32 = 0u;
const PARAM_X0: u32 = 1u;
const PARAM_SCORE: u32 = 2u;
const PARAM_VELOCITY: u32 = 3u;

struct Coefficients {
    alpha: f32,
    sigma: f32,
    d_alpha: f32,
    d_sigma: f32,
}

fn parametrization_to_eps(value: vec2<f32>, given: u32, x: vec2<f32>, c: Coefficients) -> vec2<f32> {
    switch given {
        case PARAM_X0: { return (x - c.alpha * value) / c.sigma; }
        case PARAM_SCORE: { return -c.sigma * value; }
        case PARAM_VELOCITY: { return (c.alpha * value - c.d_alpha * x) / (c.alpha * c.d_sigma - c.d_alpha * c.sigma); }
        default: { return value; }
    }
}

fn parametrization_to_x0(value: vec2<f32>, given: u32, x: vec2<f32>, c: Coefficients) -> vec2<f32> {
    switch given {
        case PARAM_EPS: { return (x - c.sigma * value) / c.alpha; }
        case PARAM_SCORE: { return (x + c.sigma * c.sigma * value) / c.alpha; }
        case PARAM_VELOCITY: { return (c.d_sigma * x - c.sigma * value) / (c.alpha * c.d_sigma - c.d_alpha * c.sigma); }
        default: { return value; }
    }
}

fn convert_parametrization(value: vec2<f32>, given: u32, wanted: u32, x: vec2<f32>, c: Coefficients) -> vec2<f32> {
    if (given == wanted) {
        return value;
    }
    switch wanted {
        case PARAM_X0: { return parametrization_to_x0(value, given, x, c); }
        case PARAM_SCORE: { return -parametrization_to_eps(value, given, x, c) / c.sigma; }
        case PARAM_VELOCITY: {
            return c.d_alpha * parametrization_to_x0(value, given, x, c) + c.d_sigma * parametrization_to_eps(value, given, x, c);
        }
        default: { return parametrization_to_eps(value, given, x, c); }
    }
}
