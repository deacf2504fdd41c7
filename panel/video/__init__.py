"""Video: BigBlueButton rooms for members through BBBLB, the multi-tenant load balancer."""
